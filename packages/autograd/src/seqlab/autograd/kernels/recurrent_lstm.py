"""Fused LSTM time loops for one direction of one layer (PyTorch gate rows [i, f, g, o]).

The input projection `xg = x @ W_ih^T + b_ih + b_hh` (T, N, 4H) is one GEMM done by the caller
(adding the bias inside the loop instead stopped LLVM vectorizing it: 2x slower). The loops run
only `W_hh h` (forward) and `W_hh^T dgates` (backward) per step, fused with the gate math.
The per-step GEMMs are computed transposed, (4H, N) and (H, N), then transposed back into rows:
with the batch as BLAS's short dimension OpenBLAS runs them ~1.45x faster than `h @ W_hh^T`
(N=32, H=128-512, native and Haswell cores), which pays for the transposes from H=128 up.
Every saved array is in time order, so the caller gets dW_hh as one GEMM `d_xg^T @ h_prev` over
all steps. `lengths` (N,) int64 with 1 <= L <= T: steps past a sequence's length leave its state
alone and output zeros; with `reverse` step s reads time L-1-s.
"""

import numpy as np
from numba import njit

from .recurrent_activations import sigmoid, tanh
from .recurrent_blas import matmul_into, transpose_into


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_forward(xg, h0, c0, w_hh, lengths, reverse):
    """Run the LSTM over xg (T, N, 4H); return out, h_n, c_n, gates, c_prev, tanh_c, h_prev."""
    steps, batch, gate_width = xg.shape
    hidden = gate_width // 4
    out = np.empty((steps, batch, hidden), xg.dtype)
    gates = np.empty((steps, batch, gate_width), xg.dtype)
    c_prev = np.empty((steps, batch, hidden), xg.dtype)
    tanh_c = np.empty((steps, batch, hidden), xg.dtype)
    h_prev = np.empty((steps, batch, hidden), xg.dtype)
    h = h0.copy()
    c = c0.copy()
    hg_t = np.empty((gate_width, batch), xg.dtype)
    hg = np.empty((batch, gate_width), xg.dtype)
    for step in range(steps):
        matmul_into(w_hh, h.T, hg_t, False)
        transpose_into(hg_t, hg)
        for n in range(batch):
            length = lengths[n]
            if step >= length:
                # time `step` is padding for this sequence in both directions: zeros keep the
                # caller's all-steps GEMMs (dW_hh = d_xg^T h_prev) free of garbage
                out[step, n, :] = 0
                gates[step, n, :] = 0
                c_prev[step, n, :] = 0
                tanh_c[step, n, :] = 0
                h_prev[step, n, :] = 0
                continue
            t = length - 1 - step if reverse else step
            x_row = xg[t, n]
            hg_row = hg[n]
            g_row = gates[t, n]
            h_row = h[n]
            c_row = c[n]
            out_row = out[t, n]
            h_prev_row = h_prev[t, n]
            c_prev_row = c_prev[t, n]
            tanh_c_row = tanh_c[t, n]
            for j in range(hidden):
                gi = sigmoid(x_row[j] + hg_row[j])
                gf = sigmoid(x_row[hidden + j] + hg_row[hidden + j])
                gg = tanh(x_row[2 * hidden + j] + hg_row[2 * hidden + j])
                go = sigmoid(x_row[3 * hidden + j] + hg_row[3 * hidden + j])
                g_row[j] = gi
                g_row[hidden + j] = gf
                g_row[2 * hidden + j] = gg
                g_row[3 * hidden + j] = go
                h_prev_row[j] = h_row[j]
                c_old = c_row[j]
                c_prev_row[j] = c_old
                c_new = gf * c_old + gi * gg
                tc = tanh(c_new)
                tanh_c_row[j] = tc
                c_row[j] = c_new
                h_new = go * tc
                h_row[j] = h_new
                out_row[j] = h_new
    return out, h, c, gates, c_prev, tanh_c, h_prev


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_backward(gates, c_prev, tanh_c, w_hh_t, lengths, reverse, d_out, d_hn, d_cn):
    """Backpropagate through lstm_forward (w_hh_t = W_hh^T, contiguous); return d_xg, d_h0, d_c0."""
    steps, batch, gate_width = gates.shape
    hidden = gate_width // 4
    one = np.ones(1, gates.dtype)[0]
    d_xg = np.empty_like(gates)
    dc = d_cn.copy()
    # this step's gate gradients, one row per sequence, for the per-step GEMM with W_hh
    d_step = np.empty((batch, gate_width), gates.dtype)
    # d_step @ W_hh: the gradient reaching h_prev, which the next (earlier) step reads as its dh
    dh_recurrent_t = np.empty((hidden, batch), gates.dtype)
    dh_recurrent = np.empty((batch, hidden), gates.dtype)
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
            g_row = gates[t, n]
            tanh_c_row = tanh_c[t, n]
            c_prev_row = c_prev[t, n]
            d_out_row = d_out[t, n]
            dc_row = dc[n]
            d_row = d_step[n]
            dx_row = d_xg[t, n]
            for j in range(hidden):
                gi = g_row[j]
                gf = g_row[hidden + j]
                gg = g_row[2 * hidden + j]
                go = g_row[3 * hidden + j]
                tc = tanh_c_row[j]
                dh_total = dh_row[j] + d_out_row[j]
                dc_total = dc_row[j] + dh_total * go * (one - tc * tc)
                d_i = dc_total * gg * gi * (one - gi)
                d_f = dc_total * c_prev_row[j] * gf * (one - gf)
                d_g = dc_total * gi * (one - gg * gg)
                d_o = dh_total * tc * go * (one - go)
                d_row[j] = d_i
                d_row[hidden + j] = d_f
                d_row[2 * hidden + j] = d_g
                d_row[3 * hidden + j] = d_o
                dx_row[j] = d_i
                dx_row[hidden + j] = d_f
                dx_row[2 * hidden + j] = d_g
                dx_row[3 * hidden + j] = d_o
                dc_row[j] = dc_total * gf
        matmul_into(w_hh_t, d_step.T, dh_recurrent_t, False)
        transpose_into(dh_recurrent_t, dh_recurrent)
    # every sequence has step 0 valid, so the last GEMM holds d_h0 for all of them
    return d_xg, dh_recurrent, dc


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_step(xg, h, c, w_hh_t):
    """One LSTM step for inference: xg (N, 4H) = x @ W_ih^T + b; return the new h and c."""
    batch, gate_width = xg.shape
    hidden = gate_width // 4
    hg = np.dot(h, w_hh_t)
    h_new = np.empty((batch, hidden), xg.dtype)
    c_new = np.empty((batch, hidden), xg.dtype)
    for n in range(batch):
        for j in range(hidden):
            gi = sigmoid(xg[n, j] + hg[n, j])
            gf = sigmoid(xg[n, hidden + j] + hg[n, hidden + j])
            gg = tanh(xg[n, 2 * hidden + j] + hg[n, 2 * hidden + j])
            go = sigmoid(xg[n, 3 * hidden + j] + hg[n, 3 * hidden + j])
            c_next = gf * c[n, j] + gi * gg
            c_new[n, j] = c_next
            h_new[n, j] = go * tanh(c_next)
    return h_new, c_new
