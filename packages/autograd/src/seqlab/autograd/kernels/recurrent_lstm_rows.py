"""LSTM training time loops as a team split by sequence: no barrier inside the time loop.

`recurrent_lstm` splits a team by hidden unit: every part reads the whole previous h, so the
parts meet at a barrier once per step (64 times a loop at 64 steps), and a part that the OS
or the hypervisor delays stalls the others at every one of them. Sequences of a batch are
independent, so here part p runs sequences `row_block(N, p, parts)` through every hidden unit,
all steps on its own: the same multiply-adds per part (at batch 32 on 2 parts, 16 x H x 4H a
step instead of 32 x H x 2H), over the whole of W_hh, packed into panels once per call (each
part packs its share of the panels, then one barrier). When the forward read a table, the
backward meets once more after its loop and each part adds its columns of the gate gradients
into the table's gradient, as in the unit split; dW_hh is the caller's (one GEMM over all steps
after the team, `around_products.recurrent_weight_grad`).
Same inputs, outputs and saved arrays as `lstm_forward_part` / `lstm_backward_part` with
`save=True`, so either backward runs after either forward. Needs panels (`panels_pay`); used
for a team whose parts get at least `MIN_ROWS_PER_PART` sequences each (`rows_split_pays`;
the split itself is `row_blocks`, shared with the GRU and RNN loops).
"""

import numpy as np
from numba import njit

from .padded_steps import zero_lstm_padded_step
from .panel_gemm import panel_gemm_packed_into
from .recurrent_lstm import (
    add_rows_into,
    copy_into,
    lstm_step_backward,
    lstm_units_saved,
)
from .row_blocks import (
    MIN_ROWS_PER_PART,
    pack_share,
    row_block,
    rows_split_pays,
    start_forward_part,
)
from .spin_barrier import arrive_and_wait
from .unit_blocks import unit_block

__all__ = ["MIN_ROWS_PER_PART", "lstm_backward_rows", "lstm_forward_rows", "row_block",
           "rows_split_pays"]


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_forward_rows(x_rows, row_of, w_hh, w_panels, lengths, reverse, h0, h_n, c, out, gates,
                      c_prev, tanh_c, h_prev, part, parts, flags, save_h_prev):
    """Run sequences `row_block(N, part, parts)` of the LSTM through all hidden units over the
    input projection x_rows[row_of[t, n]] (rows (R, 4H), row_of (T, N)), keeping what backward
    needs (as `lstm_forward_part` with save=True).

    w_hh (4H, H); w_panels room for W_hh^T packed (`panels_shape(H, 4H)`), shared by the team
    (each part packs a share). h0 (N, H) is read, h_n (N, H) gets the final h, c (N, H) holds
    c0 on entry and c_n on return, at this part's sequences; out, gates, c_prev, tanh_c and
    h_prev (only if save_h_prev) are filled at them in time order.
    """
    steps, batch = row_of.shape
    gate_width = x_rows.shape[1]
    hidden = gate_width // 4
    low, high = row_block(batch, part, parts)
    rows = high - low
    dtype = x_rows.dtype
    h, hg = start_forward_part(w_hh, w_panels, h0, low, high, part, parts, flags)
    c_own = np.empty((rows, hidden), dtype)
    c_own[:] = c[low:high]
    for step in range(steps):
        if rows > 0:
            panel_gemm_packed_into(h, w_panels, hg)
        for i in range(rows):
            n = low + i
            length = lengths[n]
            if step >= length:
                zero_lstm_padded_step(out, gates, c_prev, tanh_c, h_prev, step, n, save_h_prev)
                continue
            t = length - 1 - step if reverse else step
            x_row = x_rows[row_of[t, n]]
            hg_row = hg[i]
            h_row = h[i]
            c_row = c_own[i]
            out_row = out[t, n]
            g_row = gates[t, n]
            c_prev_row = c_prev[t, n]
            tanh_c_row = tanh_c[t, n]
            if save_h_prev:
                copy_into(h_row, 0, h_prev[t, n], 0, hidden)
            lstm_units_saved(x_row, hg_row, c_row, h_row, out_row, g_row, c_prev_row,
                             tanh_c_row, 0, hidden, hidden, hidden)
    for i in range(rows):
        copy_into(h[i], 0, h_n[low + i], 0, hidden)
        copy_into(c_own[i], 0, c[low + i], 0, hidden)


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_backward_rows(gates, c_prev, tanh_c, w_hh, w_panels, lengths, reverse, d_out, d_hn, dc,
                       d_xg, d_step_buf, dh, part, parts, flags, in_step, row_of, d_rows,
                       in_place):
    """Backpropagate sequences `row_block(N, part, parts)` through `lstm_forward_rows` (or
    `lstm_forward_part`): the arguments and results of `lstm_backward_part`, with w_panels
    room for W_hh packed (`panels_shape(4H, H)`), shared by the team, less dW_hh (the
    caller forms it from d_xg after the team).

    Each step's recurrent gradient is this part's rows of the gate gradients (d_xg's rows of
    that step when `in_step`, else d_step_buf) times W_hh. When the forward read a table
    (d_rows (R, 4H) with R > 0, row_of its ids), the parts meet once after the loop and each
    adds its block of d_xg's columns into d_rows at row_of. `in_place`: d_xg is gates itself
    (as in `lstm_backward_part`).
    """
    steps, batch, gate_width = gates.shape
    hidden = gate_width // 4
    low, high = row_block(batch, part, parts)
    rows = high - low
    one = np.ones(1, gates.dtype)[0]
    pack_share(w_hh, w_panels, part, parts, flags, False)
    dh_own = np.zeros((rows, w_panels.shape[0] * w_panels.shape[2]), gates.dtype)
    dc_own = np.empty((rows, hidden), gates.dtype)
    for i in range(rows):
        copy_into(dc[low + i], 0, dc_own[i], 0, hidden)
    for step in range(steps - 1, -1, -1):
        d_step = d_xg[steps - 1 - step if reverse else step] if in_step else d_step_buf[0]
        for i in range(rows):
            n = low + i
            length = lengths[n]
            if step >= length:
                d_xg[step, n] = 0
                d_step[n] = 0
                continue
            t = length - 1 - step if reverse else step
            dh_row = dh_own[i]
            if step == length - 1:
                # a sequence's last valid step gets d_hn (padding passes the state through)
                copy_into(d_hn[n], 0, dh_row, 0, hidden)
            dx_row = lstm_step_backward(gates[t, n], tanh_c[t, n], c_prev[t, n], d_out[t, n],
                                        dh_row, dc_own[i], d_xg[t, n], 0, hidden, hidden, one,
                                        in_place)
            if not in_step:
                copy_into(dx_row, 0, d_step[n], 0, gate_width)
        if rows > 0:
            panel_gemm_packed_into(d_step[low:high], w_panels, dh_own)
    # every sequence has step 0 valid, so the last product holds d_h0 for all of them
    for i in range(rows):
        copy_into(dh_own[i], 0, dh[low + i], 0, hidden)
        copy_into(dc_own[i], 0, dc[low + i], 0, hidden)
    if d_rows.shape[0] > 0:
        arrive_and_wait(flags, part, parts, 2)  # every part's rows of d_xg are in
        first, last = unit_block(gate_width, part, parts)
        add_rows_into(d_xg, row_of, d_rows, first, last)
