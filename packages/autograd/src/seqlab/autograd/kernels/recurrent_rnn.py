"""Fused Elman RNN time loops for one direction of one layer: h' = act(W_ih x + W_hh h + b).

The caller computes `xg = x @ W_ih^T + b_ih + b_hh` (T, N, H) in one GEMM. `relu` picks ReLU
instead of tanh. The output at each valid step is the new state, so backward takes the
activation's derivative from `out` and needs no other saved activations. `lengths` and `reverse`
work as in recurrent_lstm.
"""

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .recurrent_activations import tanh
from .rows_gemm import rows_gemm_into, rows_gemm_pays


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
def rnn_forward(xg, h0, w_hh_t, lengths, reverse, relu):
    """Run the RNN over xg (T, N, H); return out, h_n and the saved h_prev."""
    steps, batch, hidden = xg.shape
    zero = np.zeros(1, xg.dtype)[0]
    out = np.empty((steps, batch, hidden), xg.dtype)
    h_prev = np.empty((steps, batch, hidden), xg.dtype)
    h = h0.copy()
    hg = np.empty((batch, hidden), xg.dtype)
    by_rows = rows_gemm_pays(batch, hidden)
    w_rows = np.ascontiguousarray(w_hh_t.T) if by_rows else w_hh_t  # W_hh's rows
    for step in range(steps):
        if by_rows:
            rows_gemm_into(h, w_rows, hg)
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
    return out, h, h_prev


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_backward(out, w_hh, lengths, reverse, relu, d_out, d_hn):
    """Backpropagate through rnn_forward; return d_xg (T, N, H) and d_h0."""
    steps, batch, hidden = out.shape
    one = np.ones(1, out.dtype)[0]
    zero = np.zeros(1, out.dtype)[0]
    d_xg = np.empty_like(out)
    d_step = np.empty((batch, hidden), out.dtype)
    # d_step @ W_hh: the gradient reaching h_prev, which the next (earlier) step reads as its dh
    dh_recurrent = np.empty((batch, hidden), out.dtype)
    by_rows = rows_gemm_pays(batch, hidden)
    w_rows = np.ascontiguousarray(w_hh.T) if by_rows else w_hh  # W_hh^T's rows
    for step in range(steps - 1, -1, -1):
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
        if by_rows:
            rows_gemm_into(d_step, w_rows, dh_recurrent)
        else:
            np.dot(d_step, w_hh, dh_recurrent)
    # every sequence has step 0 valid, so the last GEMM holds d_h0 for all of them
    return d_xg, dh_recurrent


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
