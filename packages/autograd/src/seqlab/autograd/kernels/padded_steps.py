"""Zeros at a sequence's padded steps in the LSTM training loops split by sequence.

A sequence shorter than the batch's longest has no input past its length; what the forward
saves for it at those steps is zeros, so that the backward's dW_hh = d_xg^T h_prev over all
steps adds nothing for them (left uninitialised, they would add garbage).
`recurrent_lstm_rows.lstm_forward_rows` and `recurrent_lstm_fed.lstm_forward_fed` both write
them with `zero_lstm_padded_step`; `lstm_padding_reference` is the plain NumPy statement.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def zero_lstm_padded_step(out, gates, c_prev, tanh_c, h_prev, step, n, save_h_prev):
    """Zero sequence n's rows at `step` of the LSTM forward's saved arrays (each (T, N, ...)):
    out, gates, c_prev, tanh_c, and h_prev when `save_h_prev`."""
    out[step, n] = 0
    gates[step, n] = 0
    c_prev[step, n] = 0
    tanh_c[step, n] = 0
    if save_h_prev:
        h_prev[step, n] = 0


def lstm_padding_reference(out: np.ndarray, gates: np.ndarray, c_prev: np.ndarray,
                           tanh_c: np.ndarray, h_prev: np.ndarray, lengths: np.ndarray,
                           save_h_prev: bool) -> None:
    """NumPy reference: zero every step at or past each sequence's length in those arrays."""
    padded = np.arange(out.shape[0])[:, None] >= np.asarray(lengths)[None, :]
    for array in (out, gates, c_prev, tanh_c) + ((h_prev,) if save_h_prev else ()):
        array[padded] = 0
