"""Independent plain-NumPy recurrent stacks written from PyTorch's documented equations.

Used only by tests: it shares no code with seqlab.seqmodels.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def step(mode: str, x, h, c, w_ih, w_hh, b_ih, b_hh, cell_bump=None):
    """One step of one cell on (N, F) input; returns (h', c').

    `cell_bump` (LSTM) is added to c' before h' = o * tanh(c') reads it."""
    b_ih = np.zeros(w_ih.shape[0]) if b_ih is None else b_ih
    b_hh = np.zeros(w_hh.shape[0]) if b_hh is None else b_hh
    H = w_hh.shape[1]
    if mode == "lstm":
        gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i = sigmoid(gates[:, :H])
        f = sigmoid(gates[:, H : 2 * H])
        g = np.tanh(gates[:, 2 * H : 3 * H])
        o = sigmoid(gates[:, 3 * H :])
        c_next = f * c + i * g
        if cell_bump is not None:
            c_next = c_next + cell_bump
        return o * np.tanh(c_next), c_next
    if mode == "gru":
        gi = x @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        return (1 - z) * n + z * h, None
    pre = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    return (np.tanh(pre) if mode == "rnn_tanh" else np.maximum(pre, 0)), None


def run_sequence(mode, x, h0, c0, weights, lengths, reverse):
    """One direction over (T, N, F), sequence by sequence (no masking tricks)."""
    T, N, _ = x.shape
    H = weights[1].shape[1]
    out = np.zeros((T, N, H))
    h_n = np.zeros((N, H))
    c_n = np.zeros((N, H))
    for n in range(N):
        length = T if lengths is None else int(lengths[n])
        h = h0[n : n + 1]
        c = None if c0 is None else c0[n : n + 1]
        order = range(length - 1, -1, -1) if reverse else range(length)
        for t in order:
            h, c = step(mode, x[t, n : n + 1], h, c, *weights)
            out[t, n] = h[0]
        h_n[n] = h[0]
        if c is not None:
            c_n[n] = c[0]
    return out, h_n, (c_n if c0 is not None else None)


def run_stack(mode, x, h0, c0, all_weights, num_layers, bidirectional, lengths=None):
    """A whole stack: all_weights[layer][direction] = (w_ih, w_hh, b_ih, b_hh)."""
    directions = 2 if bidirectional else 1
    layer_input = x
    h_n, c_n = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            out, h, c = run_sequence(mode, layer_input, h0[k], None if c0 is None else c0[k],
                                     all_weights[layer][d], lengths, reverse=bool(d))
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outs, axis=2)
    return layer_input, np.stack(h_n), (np.stack(c_n) if c0 is not None else None)
