"""An LSTM layer's forward loop for inference over W_hh^T panels the caller packed.

`lstm_forward_part` packs its own W_hh panels on every call; the parts of a no-grad batch
split (`seqmodels.recurrent_inference`, each part a share of the sequences on its own thread)
each packed the same 1 MiB (H = 256) for themselves. Here the panels come packed once
(`pack_transposed_into` of W_hh, `panels_shape(H, 4H)`), shared read-only by every part; each
step is `panel_gemm_packed_into(h, panels)`, then the gate math (`lstm_units_unsaved`, the
training loop's own), starting from the input projection's row x_rows[row_of[t, n]] (the
layer's projected input, or an embedding table's projected rows read in place). One direction,
every sequence T long, nothing saved for backward. `lstm_packed_reference` is the plain-NumPy
reference.
"""

import numpy as np
from numba import njit

from .panel_gemm import panel_gemm_packed_into
from .recurrent_lstm import lstm_units_unsaved


def lstm_packed_reference(x_rows, row_of, w_hh, h0, c0):
    """out (T, N, H), h_n, c_n of an LSTM over the projected input rows x_rows[row_of[t, n]]
    ((R, 4H), biases included; PyTorch's gate rows [i, f, g, o]), step by step in NumPy."""
    hidden = w_hh.shape[1]
    h, c = h0.copy(), c0.copy()
    out = np.empty((*row_of.shape, hidden), x_rows.dtype)
    for t in range(row_of.shape[0]):
        gates = x_rows[row_of[t]] + h @ w_hh.T
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        i, f, o = (1 / (1 + np.exp(-v)) for v in (i, f, o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
        out[t] = h
    return out, h, c


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_packed_forward(x_rows, row_of, panels, h, c, out):
    """Run the LSTM over x_rows[row_of[t, n]] (x_rows (R, 4H), row_of (T, N) int64) with
    `panels` = W_hh^T packed (`panels_shape(H, 4H)`): out (T, N, H) gets every step's h; h and
    c (N, H), C-contiguous, hold the initial state on entry and the final one on return."""
    steps, batch = row_of.shape
    hidden = h.shape[1]
    if (x_rows.shape[1] != 4 * hidden or panels.shape[1] != hidden
            or panels.shape[0] * panels.shape[2] < 4 * hidden):
        raise ValueError("lstm_packed_forward: x_rows (R, 4H), panels of W_hh^T (., H, .)")
    hg = np.empty((batch, panels.shape[0] * panels.shape[2]), x_rows.dtype)
    for t in range(steps):
        panel_gemm_packed_into(h, panels, hg)  # the whole product before any h changes
        for n in range(batch):
            lstm_units_unsaved(x_rows[row_of[t, n]], hg[n], c[n], h[n], out[t, n], 0, hidden,
                               hidden)
