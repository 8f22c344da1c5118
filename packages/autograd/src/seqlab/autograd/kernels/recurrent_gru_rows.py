"""GRU training time loops as a team split by sequence: no barrier inside the time loop.

The single-thread loops of `recurrent_gru` run every sequence of the batch on one thread. Here
part p of a team runs sequences `row_block(N, p, parts)` through every hidden unit, all steps
on its own (as `recurrent_lstm_rows` does for the LSTM): per step `h @ W_hh^T` for its rows by
`panel_gemm_packed_into` over W_hh^T packed once per call (each part packs a share of the
panels, then one barrier), then the gate math. The backward runs its rows' gate gradients
times W_hh over W_hh's panels, meets the others once after its loop, then forms its rows of
db_hh and, when the forward read a table, of the table's gradient; dW_hh = d_hg^T @ h_prev is
the caller's, one GEMM after the team (`seqmodels.recurrent_rows_teams`).
Same saved arrays as `gru_forward_into` with `save=True` (gates [r, z, n], hidden_n = W_hn h +
b_hn, h_prev, all in time order), so either backward runs after either forward. The NumPy
reference is `recurrent_reference.gru_reference`. `lengths` and `reverse` as in recurrent_lstm.
"""

import numpy as np
from numba import njit

from .panel_gemm import panel_gemm_packed_into
from .recurrent_gru import gru_sequence_backward, gru_units_saved
from .recurrent_lstm import add_rows_into, copy_into
from .row_blocks import pack_share, row_block, start_forward_part
from .spin_barrier import arrive_and_wait
from .unit_blocks import unit_block


@njit(cache=True, nogil=True, error_model="numpy")
def gru_forward_rows(x_rows, row_of, w_hh, w_panels, b_hh, lengths, reverse, h0, h_n, out,
                     gates, hidden_n, h_prev, part, parts, flags):
    """Run sequences `row_block(N, part, parts)` of the GRU through all hidden units over the
    input projection x_rows[row_of[t, n]] (rows (R, 3H) with b_ih, row_of (T, N)), keeping
    what backward needs (as `gru_forward_into` with save=True).

    w_hh (3H, H); w_panels room for W_hh^T packed (`panels_shape(H, 3H)`), shared by the team
    (each part packs a share); b_hh (3H,) is added per step. h0 (N, H) is read, h_n (N, H)
    gets the final h at this part's sequences; out, gates, hidden_n and h_prev are filled at
    them in time order (zeros at padded steps).
    """
    steps, batch = row_of.shape
    gate_width = x_rows.shape[1]
    hidden = gate_width // 3
    low, high = row_block(batch, part, parts)
    rows = high - low
    dtype = x_rows.dtype
    one = np.ones(1, dtype)[0]
    h, hg = start_forward_part(w_hh, w_panels, h0, low, high, part, parts, flags)
    for step in range(steps):
        if rows > 0:
            panel_gemm_packed_into(h, w_panels, hg)
        for i in range(rows):
            n = low + i
            length = lengths[n]
            if step >= length:
                # padding: zeros keep dW_hh = d_hg^T h_prev and db_hh free of garbage
                out[step, n] = 0
                gates[step, n] = 0
                hidden_n[step, n] = 0
                h_prev[step, n] = 0
                continue
            t = length - 1 - step if reverse else step
            x_row = x_rows[row_of[t, n]]
            hg_row = hg[i]
            h_row = h[i]
            g_row = gates[t, n]
            hn_row = hidden_n[t, n]
            out_row = out[t, n]
            copy_into(h_row, 0, h_prev[t, n], 0, hidden)
            gru_units_saved(x_row, hg_row, b_hh, h_row, out_row, g_row, hn_row, hidden, one)
    for i in range(rows):
        copy_into(h[i], 0, h_n[low + i], 0, hidden)


@njit(cache=True, nogil=True, error_model="numpy")
def gru_backward_rows(gates, hidden_n, h_prev, w_hh, w_panels, lengths, reverse, d_out, d_hn,
                      d_xg, d_hg, dh, part, parts, flags, db_hh, row_of, d_rows):
    """Backpropagate sequences `row_block(N, part, parts)` through `gru_forward_rows` (or
    `gru_forward_into`): d_xg and d_hg (T, N, 3H) get the gradients of the input projection
    and of W_hh h + b_hh at this part's sequences, dh (N, H) gets d_h0 there. w_panels is room
    for W_hh (3H, H) packed (`panels_shape(3H, H)`), shared by the team.

    After the loop the parts meet once; then each fills its block of db_hh (3H,) and of
    d_rows (R, 3H, zeros on entry) when the forward read rows of a table at row_of (T, N)
    (d_rows with no rows otherwise). dW_hh is the caller's (d_hg^T @ h_prev).
    """
    steps, batch, gate_width = gates.shape
    hidden = gate_width // 3
    low, high = row_block(batch, part, parts)
    rows = high - low
    dtype = gates.dtype
    one = np.ones(1, dtype)[0]
    pack_share(w_hh, w_panels, part, parts, flags, False)
    # gradient reaching h_prev: through h' = ... + z * h (direct) and through the gates (GEMM)
    dh_direct = np.zeros((rows, hidden), dtype)
    dh_recurrent = np.zeros((rows, w_panels.shape[0] * w_panels.shape[2]), dtype)
    d_step = np.empty((rows, gate_width), dtype)
    for step in range(steps - 1, -1, -1):
        for i in range(rows):
            n = low + i
            length = lengths[n]
            d_row = d_step[i]
            if step >= length:
                d_xg[step, n] = 0
                d_hg[step, n] = 0
                d_row[:] = 0
                continue
            t = length - 1 - step if reverse else step
            last = step == length - 1
            gru_sequence_backward(gates, hidden_n, h_prev, d_out, d_hn, d_xg, t, n,
                                  dh_direct[i], dh_recurrent[i], d_row, last, hidden, one)
            copy_into(d_row, 0, d_hg[t, n], 0, gate_width)
        if rows > 0:
            panel_gemm_packed_into(d_step, w_panels, dh_recurrent)
    # every sequence has step 0 valid, so the last product holds its share of d_h0
    for i in range(rows):
        for k in range(hidden):
            dh[low + i, k] = dh_direct[i, k] + dh_recurrent[i, k]
    arrive_and_wait(flags, part, parts, 2)  # every part's rows of d_hg and d_xg are in
    first, last = unit_block(gate_width, part, parts)
    column_sums_into(d_hg, db_hh, first, last)
    if d_rows.shape[0] > 0:
        add_rows_into(d_xg, row_of, d_rows, first, last)


@njit(cache=True, nogil=True, error_model="numpy")
def column_sums_into(d, sums, low, high):
    """sums[low:high] = d[..., low:high] summed over every (t, n) of d (T, N, G), added up in
    float64 (2048 float32 terms added one by one lose more than NumPy's pairwise sum)."""
    steps, batch, _ = d.shape
    total = np.zeros(max(0, high - low), np.float64)
    for t in range(steps):
        for n in range(batch):
            row = d[t, n]
            for k in range(high - low):
                total[np.uint64(k)] += row[np.uint64(low + k)]
    for k in range(high - low):
        sums[low + k] = total[k]
