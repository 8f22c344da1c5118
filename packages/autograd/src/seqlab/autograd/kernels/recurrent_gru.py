"""Fused GRU time loops for one direction of one layer (PyTorch gate rows [r, z, n]).

n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h. The caller computes
`xg = x @ W_ih^T + b_ih` (T, N, 3H) in one GEMM; b_hh is added per step because r multiplies the
hidden part of n. Saved arrays are in time order, so dW_hh = d_hg^T @ h_prev is one GEMM outside.
`lengths` and `reverse` work as in recurrent_lstm.

The `_into` loops' per-step products take `w_panels`: room for W_hh^T (forward,
`panels_shape(H, 3H)`) or W_hh (backward, `panels_shape(3H, H)`) packed once per call, then
`panel_gemm_packed_into` each step, as the RNN and LSTM loops and the split-by-sequence teams
(`recurrent_gru_rows`) do; an empty (0, ., .) array keeps BLAS or `rows_gemm` (the callers
decide per product by `recurrent_rnn.loop_panels_pay`, the RNN's rule, which also keeps BLAS
where over 1/16 of the panels' columns would be padding). The panel product sums each output
over k in order, one fused multiply-add a step: the same bits as OpenBLAS where OpenBLAS ran
(forward H < 256, backward 3H < 256: checked at H 64 both ways and H 128 forward, float32),
within round-off where `rows_gemm` ran. CPU time of a loop (forward + backward), one thread,
AMD EPYC (Zen 4), 64 steps, float32, BLAS or rows -> panels, load 5-12: batch 32 H 128 / 256 /
512 0.81-0.83x / 0.86x / 0.80x, batch 128 H 256 / 512 0.87x, H 100-300 0.79-0.97x, H 64
tied (0.96-1.07x), H 96 0.94-1.23x over four runs (cause not found: H 100, its panels padded
alike, won).
"""

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .active_rows import active_rows, whole_tiles
from .panel_gemm import pack_rows_into, panel_gemm_packed_into
from .recurrent_activations import sigmoid, tanh
from .rows_gemm import rows_gemm_into, rows_gemm_pays


@register_jitable(inline="always")
def gru_units_unsaved(x_row, hg_row, b_hh, h_row, out_row, hidden, one):
    """One sequence's GRU step, keeping nothing for backward: the new h in h_row and out_row
    (which may be h_row itself). x_row holds W_i x + b_i, hg_row W_h h (3H each), b_hh (3H,).
    Inlined into the loops and the single step (one cell update). `one`: 1 in the dtype."""
    for k in range(hidden):
        # unsigned indices: Numba then skips the negative-index wraparound, whose select
        # stops LLVM vectorizing the loop
        j = np.uint64(k)
        j_z = np.uint64(hidden + k)
        j_n = np.uint64(2 * hidden + k)
        r = sigmoid(x_row[j] + hg_row[j] + b_hh[j])
        z = sigmoid(x_row[j_z] + hg_row[j_z] + b_hh[j_z])
        nn = tanh(x_row[j_n] + r * (hg_row[j_n] + b_hh[j_n]))
        h_new = (one - z) * nn + z * h_row[j]
        h_row[j] = h_new
        out_row[j] = h_new


@register_jitable(inline="always")
def gru_units_saved(x_row, hg_row, b_hh, h_row, out_row, g_row, hn_row, hidden, one):
    """gru_units_unsaved keeping what backward needs: the gates [r, z, n] in g_row (3H) and
    W_hn h + b_hn (what r scales) in hn_row (H). Inlined into both training forward loops."""
    for k in range(hidden):
        j = np.uint64(k)  # unsigned: no wraparound select (see gru_units_unsaved)
        j_z = np.uint64(hidden + k)
        j_n = np.uint64(2 * hidden + k)
        r = sigmoid(x_row[j] + hg_row[j] + b_hh[j])
        z = sigmoid(x_row[j_z] + hg_row[j_z] + b_hh[j_z])
        hn = hg_row[j_n] + b_hh[j_n]
        nn = tanh(x_row[j_n] + r * hn)
        g_row[j] = r
        g_row[j_z] = z
        g_row[j_n] = nn
        hn_row[j] = hn
        h_new = (one - z) * nn + z * h_row[j]
        h_row[j] = h_new
        out_row[j] = h_new


@register_jitable(inline="always")
def gru_units_backward(g_row, hn_row, h_prev_row, d_out_row, d_hn_row, direct_row,
                       recurrent_row, dx_row, d_row, last, hidden, one):
    """One sequence's GRU backward step: the gradients of the input projection's gates in
    dx_row and of W_hh h + b_hh's in d_row (3H each); direct_row (H) takes the gradient that
    reaches h_prev through z * h. The gradient reaching h is d_hn_row at a sequence's `last`
    step, else direct_row + recurrent_row (the product with W_hh). Inlined into both training
    backward loops. `one`: 1 in the dtype."""
    for k in range(hidden):
        j = np.uint64(k)  # unsigned: no wraparound select (see gru_units_unsaved)
        j_z = np.uint64(hidden + k)
        j_n = np.uint64(2 * hidden + k)
        r = g_row[j]
        z = g_row[j_z]
        nn = g_row[j_n]
        # a sequence's last valid step gets d_hn (padding passes the state through)
        dh_in = d_hn_row[j] if last else direct_row[j] + recurrent_row[j]
        dh_total = dh_in + d_out_row[j]
        dn_pre = dh_total * (one - z) * (one - nn * nn)
        dr_pre = dn_pre * hn_row[j] * r * (one - r)
        dz_pre = dh_total * (h_prev_row[j] - nn) * z * (one - z)
        dx_row[j] = dr_pre
        dx_row[j_z] = dz_pre
        dx_row[j_n] = dn_pre
        d_row[j] = dr_pre
        d_row[j_z] = dz_pre
        d_row[j_n] = dn_pre * r
        direct_row[j] = dh_total * z


@register_jitable(inline="always")
def gru_sequence_backward(gates, hidden_n, h_prev, d_out, d_hn, d_xg, t, n, direct_row,
                          recurrent_row, d_row, last, hidden, one):
    """`gru_units_backward` at step t of sequence n of the saved arrays (T, N, .): binds that
    step's rows of gates, hidden_n, h_prev, d_out and d_xg and sequence n's row of d_hn, for
    both training backward loops (which differ in how they index their per-sequence rooms)."""
    gru_units_backward(gates[t, n], hidden_n[t, n], h_prev[t, n], d_out[t, n], d_hn[n],
                       direct_row, recurrent_row, d_xg[t, n], d_row, last, hidden, one)


@njit(cache=True, nogil=True, error_model="numpy")
def gru_forward(xg, h0, w_hh_t, b_hh, lengths, reverse, save=True):
    """Run the GRU over xg (T, N, 3H); return out, h_n and saved gates, hidden_n, h_prev.

    Without `save` (inference: nothing will run backward) the saved arrays are (1, N, .)
    placeholders the loop never writes: per sequence and step it stores H floats, not 6H."""
    steps, batch, gate_width = xg.shape
    hidden = gate_width // 3
    kept = steps if save else 1
    out = np.empty((steps, batch, hidden), xg.dtype)
    gates = np.empty((kept, batch, gate_width), xg.dtype)
    # W_hn h + b_hn, the part of n's pre-activation that r scales: backward needs it for dr
    hidden_n = np.empty((kept, batch, hidden), xg.dtype)
    h_prev = np.empty((kept, batch, hidden), xg.dtype)
    h = gru_forward_into(xg, h0, w_hh_t, b_hh, lengths, reverse, save, out, gates, hidden_n,
                         h_prev, np.empty((0, 1, 1), xg.dtype))
    return out, h, gates, hidden_n, h_prev


@njit(cache=True, nogil=True, error_model="numpy")
def gru_forward_into(xg, h0, w_hh_t, b_hh, lengths, reverse, save, out, gates, hidden_n,
                     h_prev, w_panels):
    """gru_forward into the caller's out (T, N, H), gates (T, N, 3H), hidden_n and h_prev
    (T, N, H) (the last three (1, N, .) and unread without `save`); returns h_n. w_panels:
    room for W_hh^T packed (`panels_shape(H, 3H)`), or (0, ., .) for BLAS / `rows_gemm`."""
    steps, batch, gate_width = xg.shape
    hidden = gate_width // 3
    one = np.ones(1, xg.dtype)[0]
    h = h0.copy()
    by_panels = w_panels.shape[0] > 0
    if by_panels:
        pack_rows_into(w_hh_t, w_panels)
    # panel columns past 3H (zeros) are written, never read
    hg = np.empty((batch, w_panels.shape[0] * w_panels.shape[2] if by_panels else gate_width),
                  xg.dtype)
    by_rows = not by_panels and rows_gemm_pays(batch, hidden)
    w_rows = np.ascontiguousarray(w_hh_t.T) if by_rows else w_hh_t  # W_hh's rows (3H, H)
    active = batch  # the rows still running (`active_rows`; BLAS keeps every row)
    for step in range(steps):
        active = active_rows(lengths, step, active)
        if by_panels:
            panel_gemm_packed_into(h[:active], w_panels, hg[:active])
        elif by_rows:
            rows = whole_tiles(active, batch, 4)
            rows_gemm_into(h[:rows], w_rows, hg[:rows])
        else:
            np.dot(h, w_hh_t, hg)
        for n in range(batch):
            length = lengths[n]
            if step >= length:
                out[step, n, :] = 0
                if save:
                    gates[step, n, :] = 0
                    hidden_n[step, n, :] = 0
                    h_prev[step, n, :] = 0
                continue
            t = length - 1 - step if reverse else step
            x_row = xg[t, n]
            hg_row = hg[n]
            h_row = h[n]
            if not save:
                gru_units_unsaved(x_row, hg_row, b_hh, h_row, out[t, n], hidden, one)
                continue
            h_prev[t, n, :] = h_row
            gru_units_saved(x_row, hg_row, b_hh, h_row, out[t, n], gates[t, n], hidden_n[t, n],
                            hidden, one)
    return h


@njit(cache=True, nogil=True, error_model="numpy")
def gru_backward(gates, hidden_n, h_prev, w_hh, lengths, reverse, d_out, d_hn):
    """Backpropagate through gru_forward; return d_xg, d_hg (both (T, N, 3H)) and d_h0."""
    d_xg = np.empty_like(gates)
    d_hg = np.empty_like(gates)
    dh0 = gru_backward_into(gates, hidden_n, h_prev, w_hh, lengths, reverse, d_out, d_hn, d_xg,
                            d_hg, np.empty((0, 1, 1), gates.dtype))
    return d_xg, d_hg, dh0


@njit(cache=True, nogil=True, error_model="numpy")
def gru_backward_into(gates, hidden_n, h_prev, w_hh, lengths, reverse, d_out, d_hn, d_xg,
                      d_hg, w_panels):
    """gru_backward into the caller's d_xg and d_hg (T, N, 3H); returns d_h0. w_panels: room
    for W_hh packed (`panels_shape(3H, H)`), or (0, ., .) for BLAS / `rows_gemm`."""
    steps, batch, gate_width = gates.shape
    hidden = gate_width // 3
    one = np.ones(1, gates.dtype)[0]
    d_step = np.empty((batch, gate_width), gates.dtype)
    # gradient reaching h_prev: through h' = ... + z * h (direct) and through the gates (GEMM;
    # panel columns past H, zeros, are never read)
    by_panels = w_panels.shape[0] > 0
    if by_panels:
        pack_rows_into(w_hh, w_panels)
    dh_direct = np.zeros((batch, hidden), gates.dtype)
    dh_recurrent = np.zeros((batch, w_panels.shape[0] * w_panels.shape[2] if by_panels
                             else hidden), gates.dtype)
    by_rows = not by_panels and rows_gemm_pays(batch, gate_width)
    w_rows = np.ascontiguousarray(w_hh.T) if by_rows else w_hh  # W_hh^T's rows (H, 3H)
    for step in range(steps - 1, -1, -1):
        # the rows still running at `step` (`active_rows`; BLAS keeps every row): a row past
        # them has a zero d_step and reads no product before its last step (d_hn instead)
        active = active_rows(lengths, step, batch)
        for n in range(batch):
            length = lengths[n]
            if step >= length:
                d_xg[step, n, :] = 0
                d_hg[step, n, :] = 0
                d_step[n, :] = 0
                continue
            t = length - 1 - step if reverse else step
            last = step == length - 1
            d_row = d_step[n]
            gru_sequence_backward(gates, hidden_n, h_prev, d_out, d_hn, d_xg, t, n,
                                  dh_direct[n], dh_recurrent[n], d_row, last, hidden, one)
            d_hg[t, n, :] = d_row
        if by_panels:
            panel_gemm_packed_into(d_step[:active], w_panels, dh_recurrent[:active])
        elif by_rows:
            rows = whole_tiles(active, batch, 4)
            rows_gemm_into(d_step[:rows], w_rows, dh_recurrent[:rows])
        else:
            np.dot(d_step, w_hh, dh_recurrent)
    return dh_direct + dh_recurrent[:, :hidden]


@njit(cache=True, nogil=True, error_model="numpy")
def gru_step(xg, h, w_hh_t, b_hh):
    """One GRU step for inference: xg (N, 3H) = x @ W_ih^T + b_ih; return the new h."""
    batch, gate_width = xg.shape
    hidden = gate_width // 3
    one = np.ones(1, xg.dtype)[0]
    hg = np.dot(h, w_hh_t)
    h_new = h.astype(xg.dtype)  # a copy the step overwrites in place
    for n in range(batch):
        gru_units_unsaved(xg[n], hg[n], b_hh, h_new[n], h_new[n], hidden, one)
    return h_new
