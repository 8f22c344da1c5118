"""How many threads seqlab computes with (see `seqlab.autograd.kernels.thread_team`)."""

from seqlab.autograd.kernels.thread_team import (
    get_num_threads,
    matmul,
    matmuls,
    set_num_threads,
)

__all__ = ["get_num_threads", "matmul", "matmuls", "set_num_threads"]
