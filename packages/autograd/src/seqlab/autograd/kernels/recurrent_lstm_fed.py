"""The LSTM training forward loop split by sequence that projects its own input, step by step.

`recurrent_lstm_rows.lstm_forward_rows` reads the input projection x @ W_ih^T + b of every
step from a (T*N, 4H) array the caller made with one product over all T*N rows
(`seqmodels.around_products.project`): at batch 32 x 64 and H = 256 that array is 8 MiB,
written by the product and read back by the loop, and on two threads the product is two more
team hand-overs (packing W_ih, then the rows). Here each part projects its own rows of step t
just before the step's recurrent product, with W_ih^T packed into panels once per call (each
part packing a share, beside its share of W_hh^T's panels, before the team's one meet):
`panel_rows_into` with the bias as the accumulators' start, the product and blocking the
caller's `project` runs, so every element is the same sum in the same order and the loop's
outputs and saved arrays are bit for bit those of `project` + `lstm_forward_rows`.

Every sequence must read the same time at each step (forward, or reverse with all sequences
full length): the step's rows of x are then one contiguous block. Plain NumPy under
NUMBA_DISABLE_JIT=1 (the tiles' Python bodies); the reference is
`recurrent_reference.lstm_reference`.
"""

import numpy as np
from numba import njit

from .padded_steps import zero_lstm_padded_step
from .panel_blocks import panel_rows_into
from .panel_gemm import pack_transposed_into, panel_gemm_packed_into
from .recurrent_lstm import copy_into, lstm_units_saved
from .row_blocks import row_block, start_forward_part


@njit(cache=True, nogil=True, error_model="numpy")
def pack_share_transposed(w, panels, part, parts):
    """This part's share of the panels of w^T (w (G, F), `panels_shape(F, G)`), without a
    meet: the caller's next meet (`start_forward_part`'s) covers it."""
    count, _, width = panels.shape
    first, last = count * part // parts, count * (part + 1) // parts
    if first < last:
        stop = min(last * width, w.shape[0])
        pack_transposed_into(w[first * width:stop], panels[first:last])


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_forward_fed(x, w_ih, w_ih_panels, bias_rows, has_bias, w_hh, w_panels, lengths,
                     reverse, h0, h_n, c, out, gates, c_prev, tanh_c, h_prev, part, parts,
                     flags, save_h_prev, block):
    """Run sequences `row_block(N, part, parts)` of the LSTM over x (T, N, F), projecting each
    step's rows x[t] @ W_ih^T (+ bias_rows, when `has_bias`) in the loop; otherwise the
    arguments and results of `lstm_forward_rows` (with x_rows and row_of replaced).

    w_ih (4H, F) and w_ih_panels room for W_ih^T packed (`panels_shape(F, 4H)`), w_hh (4H, H)
    and w_panels room for W_hh^T packed, both shared by the team (each part packs a share);
    bias_rows (N, 4H), any row stride (0: one bias row broadcast), read only when has_bias;
    `block` the rows of x taken through every panel at once (the caller's `project` setting).
    Every sequence reads the same time at each step: not `reverse`, or every length T
    (ValueError otherwise).
    """
    steps, batch = x.shape[0], x.shape[1]
    gate_width = w_hh.shape[0]
    hidden = gate_width // 4
    if reverse:
        for n in range(batch):
            if lengths[n] != steps:
                raise ValueError("lstm_forward_fed: reverse needs every sequence full length")
    low, high = row_block(batch, part, parts)
    rows = high - low
    dtype = x.dtype
    pack_share_transposed(w_ih, w_ih_panels, part, parts)
    h, hg = start_forward_part(w_hh, w_panels, h0, low, high, part, parts, flags)
    projected = np.empty((rows, gate_width), dtype)
    first = bias_rows[low:high]  # read only when has_bias
    c_own = np.empty((rows, hidden), dtype)
    c_own[:] = c[low:high]
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        if rows > 0:
            panel_rows_into(x[t, low:high], w_ih_panels, projected, first, has_bias, block)
            panel_gemm_packed_into(h, w_panels, hg)
        for i in range(rows):
            n = low + i
            if step >= lengths[n]:
                zero_lstm_padded_step(out, gates, c_prev, tanh_c, h_prev, step, n, save_h_prev)
                continue
            h_row = h[i]
            if save_h_prev:
                copy_into(h_row, 0, h_prev[t, n], 0, hidden)
            lstm_units_saved(projected[i], hg[i], c_own[i], h_row, out[t, n], gates[t, n],
                             c_prev[t, n], tanh_c[t, n], 0, hidden, hidden, hidden)
    for i in range(rows):
        copy_into(h[i], 0, h_n[low + i], 0, hidden)
        copy_into(c_own[i], 0, c[low + i], 0, hidden)
