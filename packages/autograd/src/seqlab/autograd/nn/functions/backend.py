"""Which implementation of the fused kernels the Functions call.

With NUMBA_DISABLE_JIT=1 the jitted kernels would run as Python loops over every element, so
the Functions use the whole-array NumPy references instead (the kernel tests still run the
kernels themselves in plain Python, on tiny inputs).
"""

from __future__ import annotations

from numba import config as numba_config

from seqlab.autograd import kernels
from seqlab.autograd.kernels import reference

JIT_ENABLED = not numba_config.DISABLE_JIT

softmax_cross_entropy_forward = (
    kernels.softmax_cross_entropy_forward if JIT_ENABLED
    else reference.softmax_cross_entropy_forward
)
softmax_cross_entropy_backward = (
    kernels.softmax_cross_entropy_backward if JIT_ENABLED
    else reference.softmax_cross_entropy_backward
)
embedding_forward = kernels.embedding_forward if JIT_ENABLED else reference.embedding_forward
embedding_backward = kernels.embedding_backward if JIT_ENABLED else reference.embedding_backward
