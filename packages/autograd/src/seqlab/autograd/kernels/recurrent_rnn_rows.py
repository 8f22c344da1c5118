"""Elman RNN training time loops as a team split by sequence: no barrier inside the time loop.

The single-thread loops of `recurrent_rnn` run every sequence of the batch on one thread. Here
part p of a team runs sequences `row_block(N, p, parts)` through every hidden unit, all steps
on its own (as `recurrent_lstm_rows` does for the LSTM): per step `h @ W_hh^T` for its rows by
`panel_gemm_packed_into` over W_hh^T packed once per call (each part packs a share of the
panels, then one barrier), then tanh or relu. The backward runs its rows' gradients times W_hh
over W_hh's panels, meets the others once after its loop, then, when the forward read a
table, forms its rows of the table's gradient (dW_hh = d_xg^T @ h_prev is the caller's, one
GEMM after the team: `seqmodels.recurrent_rows_teams`). Same saved arrays
as `rnn_forward` (out and h_prev in time order), so either backward runs after either forward.
The NumPy reference is `recurrent_reference.rnn_reference`. `lengths` and `reverse` as in
recurrent_lstm.
"""

import numpy as np
from numba import njit

from .panel_gemm import panel_gemm_packed_into
from .recurrent_lstm import add_rows_into, copy_into
from .recurrent_rnn import rnn_units, rnn_units_backward
from .row_blocks import pack_share, row_block, start_forward_part
from .spin_barrier import arrive_and_wait
from .unit_blocks import unit_block


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_forward_rows(x_rows, row_of, w_hh, w_panels, lengths, reverse, relu, h0, h_n, out,
                     h_prev, part, parts, flags):
    """Run sequences `row_block(N, part, parts)` of the RNN (tanh, or relu) through all hidden
    units over the input projection x_rows[row_of[t, n]] (rows (R, H) with both biases, row_of
    (T, N)), keeping out and h_prev (as `rnn_forward`).

    w_hh (H, H); w_panels room for W_hh^T packed (`panels_shape(H, H)`), shared by the team
    (each part packs a share). h0 (N, H) is read, h_n (N, H) gets the final h at this part's
    sequences; out and h_prev are filled at them in time order (zeros at padded steps).
    """
    steps, batch = row_of.shape
    hidden = x_rows.shape[1]
    low, high = row_block(batch, part, parts)
    rows = high - low
    dtype = x_rows.dtype
    zero = np.zeros(1, dtype)[0]
    h, hg = start_forward_part(w_hh, w_panels, h0, low, high, part, parts, flags)
    for step in range(steps):
        if rows > 0:
            panel_gemm_packed_into(h, w_panels, hg)
        for i in range(rows):
            n = low + i
            length = lengths[n]
            if step >= length:
                out[step, n] = 0  # padding: zeros keep dW_hh = d_xg^T h_prev free of garbage
                h_prev[step, n] = 0
                continue
            t = length - 1 - step if reverse else step
            x_row = x_rows[row_of[t, n]]
            hg_row = hg[i]
            h_row = h[i]
            out_row = out[t, n]
            copy_into(h_row, 0, h_prev[t, n], 0, hidden)
            rnn_units(x_row, hg_row, h_row, out_row, hidden, relu, zero)
    for i in range(rows):
        copy_into(h[i], 0, h_n[low + i], 0, hidden)


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_backward_rows(out, h_prev, w_hh, w_panels, lengths, reverse, relu, d_out, d_hn, d_xg,
                      dh, part, parts, flags, row_of, d_rows):
    """Backpropagate sequences `row_block(N, part, parts)` through `rnn_forward_rows` (or
    `rnn_forward`): d_xg (T, N, H) gets the gradient of the pre-activation at this part's
    sequences, dh (N, H) gets d_h0 there. w_panels is room for W_hh (H, H) packed
    (`panels_shape(H, H)`), shared by the team.

    After the loop, when the forward read rows of a table at row_of (T, N), the parts meet
    once; then each fills its block of rows of d_rows (R, H, zeros on entry; no rows
    otherwise). dW_hh is the caller's (d_xg^T @ h_prev).
    """
    steps, batch, hidden = out.shape
    low, high = row_block(batch, part, parts)
    rows = high - low
    dtype = out.dtype
    one = np.ones(1, dtype)[0]
    zero = np.zeros(1, dtype)[0]
    pack_share(w_hh, w_panels, part, parts, flags, False)
    # d_step @ W_hh: the gradient reaching h_prev, which the next (earlier) step reads as its dh
    dh_recurrent = np.zeros((rows, w_panels.shape[0] * w_panels.shape[2]), dtype)
    d_step = np.empty((rows, hidden), dtype)
    for step in range(steps - 1, -1, -1):
        for i in range(rows):
            n = low + i
            length = lengths[n]
            d_row = d_step[i]
            if step >= length:
                d_xg[step, n] = 0
                d_row[:] = 0
                continue
            t = length - 1 - step if reverse else step
            # a sequence's last valid step gets d_hn (padding passes the state through)
            dh_row = d_hn[n] if step == length - 1 else dh_recurrent[i, :hidden]
            h_row = out[t, n]
            d_out_row = d_out[t, n]
            dx_row = d_xg[t, n]
            rnn_units_backward(h_row, dh_row, d_out_row, d_row, dx_row, hidden, relu, one, zero)
        if rows > 0:
            panel_gemm_packed_into(d_step, w_panels, dh_recurrent)
    # every sequence has step 0 valid, so the last product holds its share of d_h0
    for i in range(rows):
        copy_into(dh_recurrent[i], 0, dh[low + i], 0, hidden)
    if d_rows.shape[0] > 0:
        arrive_and_wait(flags, part, parts, 2)  # every part's rows of d_xg are in
        first, last = unit_block(hidden, part, parts)
        add_rows_into(d_xg, row_of, d_rows, first, last)
