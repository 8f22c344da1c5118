"""Fused Elman RNN time loops for one direction of one layer: h' = act(W_ih x + W_hh h + b).

The caller computes `xg = x @ W_ih^T + b_ih + b_hh` (T, N, H) in one GEMM. `relu` picks ReLU
instead of tanh. The output at each valid step is the new state, so backward takes the
activation's derivative from `out` and needs no other saved activations. `lengths` and `reverse`
work as in recurrent_lstm.

The training loops' per-step products take `w_panels`: room for W_hh^T (forward) or W_hh
(backward) packed once per call (`panels_shape(H, H)`), then `panel_gemm_packed_into` each
step, as the LSTM loops and the split-by-sequence teams (`recurrent_rnn_rows`) already did; an
empty (0, ., .) array keeps BLAS or `rows_gemm` (see `loop_panels_pay`). CPU time of a loop,
one thread, AMD EPYC (Zen 4), 64 steps, BLAS or rows -> panels, float32: forward H 256 / 512
at batch 32 3.61 -> 2.92 / 12.8 -> 10.7 ms, H 128 batch 128 4.11 -> 3.42; backward 3.41 ->
2.68 / 12.4 -> 10.3, 3.84 -> 3.22; float64 1.09-1.18x the same way; H 64-128 at batch 32 tied
(0.97-1.06x, the same bits as BLAS), H 32 float32 forward lost (0.12 -> 0.15 ms).
"""

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .active_rows import active_rows, whole_tiles
from .panel_gemm import pack_rows_into, panel_columns, panel_gemm_packed_into, panels_pay
from .recurrent_activations import tanh
from .rows_gemm import rows_gemm_into, rows_gemm_pays

MIN_PANEL_HIDDEN = 64  # below it BLAS's per-step product stays (see the module doc)


def rnn_panels_pay(batch: int, hidden: int) -> bool:
    """Whether an RNN or GRU one-thread loop over `batch` sequences of `hidden` units packs
    W_hh into panels (the GRU's loops measured the same threshold: `recurrent_gru`)."""
    return panels_pay(batch) and hidden >= MIN_PANEL_HIDDEN


# Most of a product's columns that may be padding (zeros past the last real column of the last
# panel) for a loop to take the panels. The panel product computes every padded column, so
# its work is panel_columns / columns times BLAS's: one thread, float32 (64-column panels),
# forward + backward, CPU panels / BLAS, batch 8 / 32 / 128, RNN H 80 (48 of 128 columns
# padding) 1.38 / 1.46 / 1.48, H 96 1.20 / 1.29 / 1.05, H 100 1.11 / 1.28 / 1.02,
# H 112 1.05 / 1.15 / 1.05, H 160 1.17 / 1.16 / 1.01, H 200 1.23 / 0.82 / 1.03, while the
# unpadded H 64 / 128 / 192 / 256 ran 0.66-1.08 (BENCHMARKS.md, "rnnrule").
MAX_PADDED_SHARE = 1 / 16


def loop_panels_pay(batch: int, hidden: int, columns: int, dtype) -> bool:
    """Whether a one-thread RNN or GRU loop's per-step product of `columns` output columns
    (H or 3H) packs its W_hh side into panels: `rnn_panels_pay` and at most
    `MAX_PADDED_SHARE` of the panels' columns padding."""
    padded = panel_columns(columns, dtype)
    return rnn_panels_pay(batch, hidden) and padded - columns <= MAX_PADDED_SHARE * padded


@register_jitable(inline="always")
def rnn_units(x_row, hg_row, h_row, out_row, hidden, relu, zero):
    """One sequence's RNN step: h = tanh (or relu) of x_row + hg_row (W_ih x + biases, W_hh h;
    H each) into h_row and out_row (which may be h_row itself). Inlined into the loops and the
    single step (one cell update). `zero`: 0 in the dtype."""
    if relu:
        for k in range(hidden):
            # unsigned indices: Numba then skips the negative-index wraparound, whose select
            # stops LLVM vectorizing the loop
            j = np.uint64(k)
            a = x_row[j] + hg_row[j]
            h_new = a if a > zero else zero
            h_row[j] = h_new
            out_row[j] = h_new
    else:
        for k in range(hidden):
            j = np.uint64(k)
            h_new = tanh(x_row[j] + hg_row[j])
            h_row[j] = h_new
            out_row[j] = h_new


@register_jitable(inline="always")
def rnn_units_backward(h_row, dh_row, d_out_row, d_row, dx_row, hidden, relu, one, zero):
    """One sequence's RNN backward step: the gradient of the pre-activation, from the step's
    output h_row and the gradients reaching h (dh_row from later steps, d_out_row from above),
    into d_row and dx_row. Inlined into both training backward loops."""
    if relu:
        for k in range(hidden):
            j = np.uint64(k)  # unsigned: no wraparound select (see rnn_units)
            grad = dh_row[j] + d_out_row[j] if h_row[j] > zero else zero
            d_row[j] = grad
            dx_row[j] = grad
    else:
        for k in range(hidden):
            j = np.uint64(k)
            grad = (dh_row[j] + d_out_row[j]) * (one - h_row[j] * h_row[j])
            d_row[j] = grad
            dx_row[j] = grad


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_forward(xg, h0, w_hh_t, lengths, reverse, relu, w_panels):
    """Run the RNN over xg (T, N, H); return out, h_n and the saved h_prev. w_panels: room
    for W_hh^T packed (`panels_shape(H, H)`), or (0, ., .) for BLAS / `rows_gemm`."""
    steps, batch, hidden = xg.shape
    out = np.empty((steps, batch, hidden), xg.dtype)
    h_prev = np.empty((steps, batch, hidden), xg.dtype)
    h = rnn_forward_into(xg, h0, w_hh_t, lengths, reverse, relu, out, h_prev, w_panels)
    return out, h, h_prev


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_forward_into(xg, h0, w_hh_t, lengths, reverse, relu, out, h_prev, w_panels):
    """rnn_forward into the caller's out and h_prev (T, N, H), every element written (the
    training loop passes reused workspace blocks: two fresh (T, N, H) arrays a call faulted
    their pages in again); returns h_n."""
    steps, batch, hidden = xg.shape
    zero = np.zeros(1, xg.dtype)[0]
    h = h0.copy()
    by_panels = w_panels.shape[0] > 0
    if by_panels:
        pack_rows_into(w_hh_t, w_panels)
    hg = np.empty((batch, w_panels.shape[0] * w_panels.shape[2] if by_panels else hidden),
                  xg.dtype)
    by_rows = not by_panels and rows_gemm_pays(batch, hidden)
    w_rows = np.ascontiguousarray(w_hh_t.T) if by_rows else w_hh_t  # W_hh's rows
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
                h_prev[step, n, :] = 0
                continue
            t = length - 1 - step if reverse else step
            x_row = xg[t, n]
            hg_row = hg[n]
            h_row = h[n]
            h_prev[t, n, :] = h_row
            rnn_units(x_row, hg_row, h_row, out[t, n], hidden, relu, zero)
    return h


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_backward(out, w_hh, lengths, reverse, relu, d_out, d_hn, w_panels):
    """Backpropagate through rnn_forward; return d_xg (T, N, H) and d_h0. w_panels: room for
    W_hh packed (`panels_shape(H, H)`), or (0, ., .) for BLAS / `rows_gemm`."""
    d_xg = np.empty_like(out)
    dh0 = rnn_backward_into(out, w_hh, lengths, reverse, relu, d_out, d_hn, d_xg, w_panels)
    return d_xg, dh0


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_backward_into(out, w_hh, lengths, reverse, relu, d_out, d_hn, d_xg, w_panels):
    """rnn_backward into the caller's d_xg (T, N, H), every element written (a reused
    workspace block, as `rnn_forward_into`); returns d_h0."""
    steps, batch, hidden = out.shape
    one = np.ones(1, out.dtype)[0]
    zero = np.zeros(1, out.dtype)[0]
    d_step = np.empty((batch, hidden), out.dtype)
    # d_step @ W_hh: the gradient reaching h_prev, which the next (earlier) step reads as its dh
    # (panel columns past H, zeros, are never read)
    by_panels = w_panels.shape[0] > 0
    if by_panels:
        pack_rows_into(w_hh, w_panels)
    dh_recurrent = np.empty((batch, w_panels.shape[0] * w_panels.shape[2] if by_panels
                             else hidden), out.dtype)
    by_rows = not by_panels and rows_gemm_pays(batch, hidden)
    w_rows = np.ascontiguousarray(w_hh.T) if by_rows else w_hh  # W_hh^T's rows
    for step in range(steps - 1, -1, -1):
        # the rows still running at `step` (`active_rows`; BLAS keeps every row): a row past
        # them has a zero d_step and reads no product before its last step (d_hn instead)
        active = active_rows(lengths, step, batch)
        for n in range(batch):
            length = lengths[n]
            if step >= length:
                d_xg[step, n, :] = 0
                d_step[n, :] = 0
                continue
            t = length - 1 - step if reverse else step
            # a sequence's last valid step gets d_hn (padding passes the state through unchanged)
            dh_row = d_hn[n] if step == length - 1 else dh_recurrent[n]
            h_row = out[t, n]
            d_out_row = d_out[t, n]
            d_row = d_step[n]
            dx_row = d_xg[t, n]
            rnn_units_backward(h_row, dh_row, d_out_row, d_row, dx_row, hidden, relu, one, zero)
        if by_panels:
            panel_gemm_packed_into(d_step[:active], w_panels, dh_recurrent[:active])
        elif by_rows:
            rows = whole_tiles(active, batch, 4)
            rows_gemm_into(d_step[:rows], w_rows, dh_recurrent[:rows])
        else:
            np.dot(d_step, w_hh, dh_recurrent)
    # every sequence has step 0 valid, so the last GEMM holds d_h0 for all of them
    return np.ascontiguousarray(dh_recurrent[:, :hidden])


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_step(xg, h, w_hh_t, relu):
    """One RNN step for inference: xg (N, H) = x @ W_ih^T + b_ih + b_hh; return the new h."""
    batch, hidden = xg.shape
    zero = np.zeros(1, xg.dtype)[0]
    hg = np.dot(h, w_hh_t)
    h_new = np.empty((batch, hidden), xg.dtype)
    for n in range(batch):
        rnn_units(xg[n], hg[n], h_new[n], h_new[n], hidden, relu, zero)
    return h_new
