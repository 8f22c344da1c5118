"""A whole unidirectional LSTM stack for inference at a small batch, as one team split by units.

At batch 1 a step of an H = 256 layer is a GEMV over W_hh (1 MiB of float32): on one core it
streams from L3 every step (~12 us, AMD EPYC Zen 4 with 1 MiB of L2 a core). Split by hidden
units, each part multiplies only its own gate rows of W_hh (half of it on two cores), which
stay in that core's L2 across the 64 steps: that is what PyTorch's oneDNN RNN gets from its
second thread. `lstm_units_stack_part` is one part's share of every layer: it projects the
layer's input onto its own gate rows (one BLAS GEMM a gate: layer 0's rows `x0` read at
`row_of`, or the layer below's outputs), then runs the steps, each a dot-product GEMV of its
rows of W_hh started from those projections (no BLAS call per step: OpenBLAS's per-call
buffer lock made two parts calling it at once no faster than one), the gate math, its units
of h published in `h_shared` and one spinning barrier (`spin_barrier`). The layer above
starts after the last step's barrier (it reads every unit of the layer's output).

`lengths`: a step at or past a sequence's length leaves its state alone and outputs zeros
(forward direction only). `lstm_units_stack_reference` is the plain-NumPy reference.
"""

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .recurrent_activations import sigmoid, tanh
from .recurrent_blas import matmul_into
from .spin_barrier import arrive_and_wait
from .unit_blocks import unit_block


def lstm_units_stack_reference(x0, row_of, w_ih, w_hh, bias, lengths, h0, c0):
    """out (T, N, H) of the top layer, h_n and c_n (L, N, H) of an LSTM stack whose layer 0
    reads input row x0[row_of[t, n]] at step t of sequence n; w_ih, w_hh, bias: one per layer
    (bias = b_ih + b_hh; PyTorch gate rows [i, f, g, o]); lengths (N,) in [1, T]."""
    steps, batch = row_of.shape
    layer_input = x0[row_of]
    h_n, c_n = np.empty_like(h0), np.empty_like(c0)
    for layer, (w_i, w_h, b) in enumerate(zip(w_ih, w_hh, bias)):
        hidden = w_h.shape[1]
        h, c = h0[layer].copy(), c0[layer].copy()
        out = np.zeros((steps, batch, hidden), x0.dtype)
        for t in range(steps):
            live = t < lengths
            gates = layer_input[t] @ w_i.T + h @ w_h.T + b
            i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
            i, f, o = (1 / (1 + np.exp(-v)) for v in (i, f, o))
            c_new = f * c + i * np.tanh(g)
            h_new = o * np.tanh(c_new)
            c = np.where(live[:, None], c_new, c)
            h = np.where(live[:, None], h_new, h)
            out[t] = np.where(live[:, None], h_new, 0)
        h_n[layer], c_n[layer] = h, c
        layer_input = out
    return layer_input, h_n, c_n


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def dot_rows_into(w, first, count, h_row, start_row, out_row, offset):
    """out_row[offset + i] = start_row[offset + i] + w[first + i] . h_row for i < count, four
    rows of w at a time (each read of h serves four rows; the sums vectorize: reassociated)."""
    depth = w.shape[1]
    i = 0
    while i + 4 <= count:
        w0, w1, w2, w3 = w[first + i], w[first + i + 1], w[first + i + 2], w[first + i + 3]
        s0 = start_row[offset + i]
        s1 = start_row[offset + i + 1]
        s2 = start_row[offset + i + 2]
        s3 = start_row[offset + i + 3]
        for k in range(depth):
            j = np.uint64(k)
            x = h_row[j]
            s0 += w0[j] * x
            s1 += w1[j] * x
            s2 += w2[j] * x
            s3 += w3[j] * x
        out_row[offset + i] = s0
        out_row[offset + i + 1] = s1
        out_row[offset + i + 2] = s2
        out_row[offset + i + 3] = s3
        i += 4
    while i < count:
        w0 = w[first + i]
        s0 = start_row[offset + i]
        for k in range(depth):
            j = np.uint64(k)
            s0 += w0[j] * h_row[j]
        out_row[offset + i] = s0
        i += 1


@register_jitable(inline="always")
def _cell_units(hg_row, c_row, h_row, out_row, start, width):
    """One sequence's step at the part's units: hg_row holds all four gates' pre-activations
    of those units, gate by gate (width apart); new c and h into c_row and h_row (from 0), h
    into out_row[start:]."""
    for k in range(width):
        j = np.uint64(k)
        gi = sigmoid(hg_row[j])
        gf = sigmoid(hg_row[np.uint64(width + k)])
        gg = tanh(hg_row[np.uint64(2 * width + k)])
        go = sigmoid(hg_row[np.uint64(3 * width + k)])
        c_new = gf * c_row[j] + gi * gg
        c_row[j] = c_new
        h_new = go * tanh(c_new)
        h_row[j] = h_new
        out_row[np.uint64(start + k)] = h_new


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_units_stack_part(x0, row_of, w_ih, w_hh, bias, lengths, h0, c0, h_shared, outs,
                          h_n, c_n, part, parts, flags):
    """Part `part` of `parts` of the stack's forward: hidden units `unit_block(H, part,
    parts)` of every layer. x0 (R, F) layer 0's input rows, row_of (T, N) which row step t of
    sequence n reads; w_ih, w_hh, bias tuples with one entry per layer ((4H, F) / (4H, H),
    (4H, H), (4H,)); lengths (N,) int64 in [1, T]; h0, c0 (L, N, H) initial states. Writes its
    units of outs (L, T, N, H) (layer l's outputs, the input of layer l + 1), h_n and c_n
    (L, N, H); h_shared (2, N, H) is the team's scratch for h. `flags`: the team's barrier
    counters (`spin_barrier.new_flags(parts)`), fresh for every call."""
    steps, batch = row_of.shape
    layers = len(w_hh)
    dtype = x0.dtype
    met = 0  # barriers passed
    for layer in range(layers):
        weights = w_hh[layer]
        hidden = weights.shape[1]
        start, stop = unit_block(hidden, part, parts)
        width = stop - start
        inputs = x0 if layer == 0 else outs[layer - 1].reshape(steps * batch, outs.shape[3])
        # this part's gate rows of the input projection, gate by gate, with the bias
        projected = np.empty((inputs.shape[0], 4 * width), dtype)
        if width > 0:
            for gate in range(4):
                rows = w_ih[layer][gate * hidden + start:gate * hidden + stop]
                matmul_into(inputs, rows.T, projected[:, gate * width:(gate + 1) * width],
                            False)
        layer_bias = bias[layer]
        for r in range(inputs.shape[0]):
            for gate in range(4):
                for k in range(width):
                    projected[r, gate * width + k] += layer_bias[gate * hidden + start + k]
        h = np.empty((batch, width), dtype)
        c = np.empty((batch, width), dtype)
        for n in range(batch):
            for k in range(width):
                h[n, k] = h0[layer, n, start + k]
                c[n, k] = c0[layer, n, start + k]
                h_shared[0, n, start + k] = h0[layer, n, start + k]
        if parts > 1:  # every unit of h0 in h_shared[0] before step 0 reads it
            met += 1
            arrive_and_wait(flags, part, parts, met)
        hg = np.empty((batch, 4 * width), dtype)
        out = outs[layer]
        for step in range(steps):
            h_full = h_shared[step % 2]
            for n in range(batch):
                if step >= lengths[n]:  # padding: state kept, output zeros
                    for k in range(width):
                        out[step, n, start + k] = 0
                    continue
                row = row_of[step, n] if layer == 0 else step * batch + n
                for gate in range(4):
                    dot_rows_into(weights, gate * hidden + start, width, h_full[n],
                                  projected[row], hg[n], gate * width)
                _cell_units(hg[n], c[n], h[n], out[step, n], start, width)
            h_next = h_shared[(step + 1) % 2]
            for n in range(batch):
                for k in range(width):
                    h_next[n, start + k] = h[n, k]
            if parts > 1:
                met += 1
                arrive_and_wait(flags, part, parts, met)
        for n in range(batch):
            for k in range(width):
                h_n[layer, n, start + k] = h[n, k]
                c_n[layer, n, start + k] = c[n, k]
