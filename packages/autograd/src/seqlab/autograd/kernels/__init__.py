"""Numba-jitted hot kernels: plain functions on ndarrays, each with a NumPy reference.

Nothing here imports the rest of seqlab. The references live in `kernels.reference`
(cross-entropy, embedding) and `kernels.recurrent_reference` (recurrent layers).
"""

from seqlab.autograd.kernels.embedding import embedding_backward, embedding_forward
from seqlab.autograd.kernels.softmax_cross_entropy import (
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)

__all__ = [
    "embedding_backward",
    "embedding_forward",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
]
