"""Numba-jitted hot kernels: plain functions on ndarrays, each with a NumPy reference.

Nothing here imports the rest of seqlab. References: `kernels.reference` (cross-entropy,
embedding) and `kernels.recurrent_reference` (recurrent layers). The recurrent layers' GEMMs
around these loops live in `seqlab.seqmodels`; threads and BLAS policy in `seqlab.autograd.threads`.
"""

# First: importing cache_guard clears this folder's stale Numba caches before any kernel loads one.
from seqlab.autograd.kernels import cache_guard  # noqa: F401
from seqlab.autograd.kernels.embedding import embedding_backward, embedding_forward
from seqlab.autograd.kernels.recurrent_gru import gru_backward, gru_forward, gru_step
from seqlab.autograd.kernels.recurrent_lstm import (
    lstm_backward_part,
    lstm_forward_part,
    lstm_step,
)
from seqlab.autograd.kernels.recurrent_reference import (
    gru_reference,
    lstm_reference,
    rnn_reference,
)
from seqlab.autograd.kernels.recurrent_rnn import rnn_backward, rnn_forward, rnn_step
from seqlab.autograd.kernels.softmax_cross_entropy import (
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)

__all__ = [
    "embedding_backward", "embedding_forward", "gru_backward", "gru_forward", "gru_reference",
    "gru_step", "lstm_backward_part", "lstm_forward_part", "lstm_reference", "lstm_step",
    "rnn_backward", "rnn_forward", "rnn_reference", "rnn_step", "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
]
