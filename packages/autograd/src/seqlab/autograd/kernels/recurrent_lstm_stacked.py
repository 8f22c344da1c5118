"""An upper LSTM layer for inference: its input projection and its recurrent product as one
per-step product, [x_t | h | 1] @ [W_ih | W_hh | b]^T, over panels packed once per call.

The graph path projects a layer's whole input first (one (T*N, F) x (F, 4H) GEMM, OpenBLAS at
~90 GFLOP/s, writing and reading back a (T, N, 4H) array) and then runs `h @ W_hh^T` per step
on panels (~114 GFLOP/s). Without a graph nothing needs that projection as an array, so here
every step multiplies the (N, F + H + 1) rows [x_t | h_{t-1} | 1] by the panels of
[W_ih | W_hh | b]^T (`panel_gemm`): all of the layer's multiply-adds at the panel tile's rate,
the bias as one more row of the panels (no add in the gate loop), and no (T, N, 4H) array.
Unidirectional, all sequences T long, one thread, batches from `panels_pay`; the caller checks.
`lstm_stacked_reference` is the plain-NumPy reference.
"""

import numpy as np
from numba import njit

from .panel_gemm import pack_transposed_in_k_blocks, panel_gemm_packed_into
from .recurrent_activations import sigmoid, tanh
from .recurrent_lstm import copy_into
from .recurrent_lstm_packed import lstm_packed_reference


def lstm_stacked_reference(x, h0, c0, w_ih, w_hh, bias):
    """out (T, N, H), h_n, c_n of an LSTM layer over x (T, N, F) (PyTorch gate rows [i, f, g,
    o]; bias = b_ih + b_hh), step by step in NumPy: x projected, then the packed loop's
    reference over the projected rows."""
    steps, batch, features = x.shape
    x_rows = x.reshape(steps * batch, features) @ w_ih.T + bias
    row_of = np.arange(steps * batch).reshape(steps, batch)
    return lstm_packed_reference(x_rows, row_of, w_hh, h0, c0)


@njit(cache=True, nogil=True, error_model="numpy")
def pack_stacked_into(w_ih, w_hh, bias, panels):
    """The panels of [W_ih | W_hh | bias]^T ((F + H + 1, 4H)) into `panels`
    (`panels_shape(F + H + 1, 4H)`): rows 0..F-1 W_ih^T, then W_hh^T, then the bias."""
    features = w_ih.shape[1]
    hidden = w_hh.shape[1]
    count, _, width = panels.shape
    pack_transposed_in_k_blocks(w_ih, panels[:, :features])
    pack_transposed_in_k_blocks(w_hh, panels[:, features:features + hidden])
    columns = bias.shape[0]
    for p in range(count):
        row = panels[p, features + hidden]
        for j in range(width):
            m = p * width + j
            row[j] = bias[m] if m < columns else 0


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_stacked_forward(x, panels, h, c, out):
    """Run the LSTM over x (T, N, F) with `panels` from `pack_stacked_into`: out (T, N, H) gets
    every step's h; h and c (N, H) hold the initial state on entry and the final one on return.
    Each step: rows [x_t | h | 1] (N, F + H + 1) times the panels, then the gate math."""
    lstm_stacked_sequences(x, 0, panels, h, c, 0, out, 0, x.shape[1], False)


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_stacked_reverse(x, panels, h, c, out):
    """`lstm_stacked_forward` from the last step to the first (a bidirectional layer's reverse
    direction): out[t] gets h after steps T-1 down to t."""
    lstm_stacked_sequences(x, 0, panels, h, c, 0, out, 0, x.shape[1], True)


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_stacked_sequences(x, x_first, panels, h, c, state_first, out, out_first, count,
                           reverse):
    """`lstm_stacked_forward` over `count` sequences of a batch: x[:, x_first + n] in, state
    rows h[state_first + n] and c[state_first + n], out[:, out_first + n] out (n < count), the
    steps from the last to the first where `reverse`. Each sequence's outputs are the same
    bits whatever the others: the panel tile's rows never mix (`recurrent_lstm_claims` runs a
    batch in chunks through it)."""
    steps, _, features = x.shape
    hidden = h.shape[1]
    depth = panels.shape[1]
    dtype = x.dtype
    rows = np.empty((count, depth), dtype)  # [x_t | h | 1] of every sequence
    gates = np.empty((count, panels.shape[0] * panels.shape[2]), dtype)
    one = np.ones(1, dtype)[0]
    for n in range(count):
        copy_into(h[state_first + n], 0, rows[n], features, hidden)
        rows[n, depth - 1] = one
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        for n in range(count):
            copy_into(x[t, x_first + n], 0, rows[n], 0, features)
        panel_gemm_packed_into(rows, panels, gates)
        for n in range(count):
            g_row = gates[n]
            c_row = c[state_first + n]
            r_row = rows[n]
            out_row = out[t, out_first + n]
            for k in range(hidden):
                # unsigned indices: no negative-index wraparound select (LLVM then vectorizes)
                j = np.uint64(k)
                gi = sigmoid(g_row[j])
                gf = sigmoid(g_row[np.uint64(hidden + k)])
                gg = tanh(g_row[np.uint64(2 * hidden + k)])
                go = sigmoid(g_row[np.uint64(3 * hidden + k)])
                c_new = gf * c_row[j] + gi * gg
                c_row[j] = c_new
                h_new = go * tanh(c_new)
                r_row[np.uint64(features + k)] = h_new
                out_row[j] = h_new
    for n in range(count):
        copy_into(rows[n], features, h[state_first + n], 0, hidden)
