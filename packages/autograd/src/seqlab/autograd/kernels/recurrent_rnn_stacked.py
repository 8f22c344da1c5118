"""An Elman RNN layer for inference (tanh or relu): its input projection and its recurrent
product as one per-step product, [x_t | h | 1] @ [W_ih | W_hh | b]^T, over panels packed once
(`recurrent_lstm_stacked.pack_stacked_into`, which packs any G*H gate rows: here G = 1).

The layer-by-layer path projects the whole input by a GEMM first (writing and reading back a
(T, N, H) array) and then multiplies h by W_hh's panels per step: at RNN(40, 128), batch 32 x
64, the two together ran ~21 GMAC/s on one AMD EPYC Zen 4 core, where the LSTM's stacked loop
ran ~49. Here each step is one product of the rows [x_t | h_{t-1} | 1] (N, F + H + 1) by the
panels, the bias as one more panel row, then the activation. Unidirectional (the reverse
direction from the last step), all sequences T long, one thread; the caller checks.
`rnn_stacked_reference` is the plain-NumPy reference.
"""

import numpy as np
from numba import njit

from .panel_gemm import panel_gemm_packed_into
from .recurrent_activations import tanh
from .recurrent_lstm import copy_into


def rnn_stacked_reference(x, h0, w_ih, w_hh, bias, relu, reverse=False):
    """out (T, N, H), h_n of an RNN layer over x (T, N, F) (bias = b_ih + b_hh), step by step
    in NumPy (from the last step to the first where `reverse`)."""
    steps = x.shape[0]
    h = h0.copy()
    out = np.empty((steps, x.shape[1], w_hh.shape[0]), x.dtype)
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        a = x[t] @ w_ih.T + h @ w_hh.T + bias
        h = np.maximum(a, 0) if relu else np.tanh(a)
        out[t] = h
    return out, h


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_stacked_forward(x, panels, h, out, relu):
    """Run the RNN over x (T, N, F) with `panels` from `pack_stacked_into` (G = 1): out
    (T, N, H) gets every step's h; h (N, H) holds the initial state on entry and the final one
    on return. ReLU where `relu`, else tanh."""
    rnn_stacked_sequences(x, 0, panels, h, 0, out, 0, x.shape[1], False, relu)


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_stacked_reverse(x, panels, h, out, relu):
    """`rnn_stacked_forward` from the last step to the first (a bidirectional layer's reverse
    direction): out[t] gets h after steps T-1 down to t."""
    rnn_stacked_sequences(x, 0, panels, h, 0, out, 0, x.shape[1], True, relu)


@njit(cache=True, nogil=True, error_model="numpy")
def rnn_stacked_sequences(x, x_first, panels, h, state_first, out, out_first, count, reverse,
                          relu):
    """`rnn_stacked_forward` over `count` sequences of a batch: x[:, x_first + n] in, state
    rows h[state_first + n], out[:, out_first + n] out (n < count), the steps from the last to
    the first where `reverse`. Each sequence's outputs are the same bits whatever the others
    (the panel tile's rows never mix: `recurrent_stacked_claims` runs a batch in chunks)."""
    steps, _, features = x.shape
    hidden = h.shape[1]
    depth = panels.shape[1]
    dtype = x.dtype
    rows = np.empty((count, depth), dtype)  # [x_t | h | 1] of every sequence
    sums = np.empty((count, panels.shape[0] * panels.shape[2]), dtype)
    one = np.ones(1, dtype)[0]
    zero = np.zeros(1, dtype)[0]
    for n in range(count):
        copy_into(h[state_first + n], 0, rows[n], features, hidden)
        rows[n, depth - 1] = one
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        for n in range(count):
            copy_into(x[t, x_first + n], 0, rows[n], 0, features)
        panel_gemm_packed_into(rows, panels, sums)
        for n in range(count):
            s_row = sums[n]
            r_row = rows[n]
            out_row = out[t, out_first + n]
            if relu:
                for k in range(hidden):
                    # unsigned indices: no negative-index wraparound select (LLVM vectorizes)
                    j = np.uint64(k)
                    a = s_row[j]
                    h_new = a if a > zero else zero
                    r_row[np.uint64(features + k)] = h_new
                    out_row[j] = h_new
            else:
                for k in range(hidden):
                    j = np.uint64(k)
                    h_new = tanh(s_row[j])
                    r_row[np.uint64(features + k)] = h_new
                    out_row[j] = h_new
    for n in range(count):
        copy_into(rows[n], features, h[state_first + n], 0, hidden)
