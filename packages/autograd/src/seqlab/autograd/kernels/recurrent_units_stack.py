"""A whole unidirectional recurrent stack (LSTM, GRU or Elman RNN) for inference at a small
batch, as one team of threads split by hidden units.

At batch 1 a step of an LSTM layer at H = 256 is a GEMV over W_hh (1 MiB of float32): on one
core it streams from L3 every step (~12 us, AMD EPYC Zen 4 with 1 MiB of L2 a core). Split by
hidden units, each part multiplies only its own gate rows of W_hh (half of it on two cores),
which stay in that core's L2 across the steps: what PyTorch's oneDNN RNN gets from its second
thread. `units_stack_part` is one part's share of every layer: it projects the layer's input
onto its own gate rows (one BLAS GEMM a gate: layer 0's rows `x0` read at `row_of`, or the
layer below's outputs), then runs the steps, each a dot-product GEMV of its rows of W_hh
started from those projections (no BLAS call per step: two parts calling OpenBLAS at once
every step ran no faster than one), the cell update, its units of h published in `h_shared`
and one spinning barrier (`spin_barrier`). The layer above starts after the last step's
barrier (it reads every unit of the layer's output). When the team's meets so far mostly spun
out (`spin_barrier.contended`: another process holds a core and the parts take turns on one),
a team of 2 parts goes on as part 0 alone from the next layer boundary and part 1 returns (a
team of more parts runs to the end: one busy core must not idle the others).

Cells by their `generation` codes (LSTM, GRU, RNN_TANH, RNN_RELU), PyTorch's gate rows and
equations; `bias` is what the projection adds (b_ih + b_hh; GRU: b_ih, plus b_hh for r and z),
`hh_bias` GRU's b_hh (only its n rows are read: b_hn sits inside the reset gate; the other
cells pass zeros). `lengths`: a step at or
past a sequence's length leaves its state alone and outputs zeros (forward direction only).
`units_stack_reference` is the plain-NumPy reference.
"""

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .bit_compare import same_bits
from .generation import GRU, LSTM, RNN_RELU, RNN_TANH
from .recurrent_activations import sigmoid, tanh
from .recurrent_blas import matmul_into
from .spin_barrier import (
    arrive_and_wait,
    contended,
    join_team,
    keep_spin_outs,
    kept_spin_outs,
    partner_joined,
)
from .unit_blocks import unit_block

GATES = {LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1}
# `units_stack_part`'s answer where part 0 of a 2-part team took part 1's share before the
# first meet (`partner_wait`): nothing shared was computed; part 0's caller runs the call alone
PARTNER_TAKEN = -1


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def units_stack_reference(cell, x0, row_of, w_ih, w_hh, b_ih, b_hh, lengths, h0, c0=None):
    """out (T, N, H) of the top layer, h_n and c_n (L, N, H; c_n None but for LSTM) of a
    stack of `cell` whose layer 0 reads input row x0[row_of[t, n]] at step t of sequence n;
    w_ih, w_hh, b_ih, b_hh: one per layer (PyTorch's layouts); lengths (N,) in [1, T]."""
    steps, batch = row_of.shape
    layer_input = x0[row_of]
    h_n = np.empty_like(h0)
    c_n = None if c0 is None else np.empty_like(c0)
    for layer, (w_i, w_h, b_i, b_h) in enumerate(zip(w_ih, w_hh, b_ih, b_hh)):
        hidden = w_h.shape[1]
        h = h0[layer].copy()
        c = None if c0 is None else c0[layer].copy()
        out = np.zeros((steps, batch, hidden), x0.dtype)
        for t in range(steps):
            live = (t < lengths)[:, None]
            xs, hs = layer_input[t] @ w_i.T + b_i, h @ w_h.T + b_h
            part = [slice(k * hidden, (k + 1) * hidden) for k in range(GATES[cell])]
            c_new = None
            if cell == LSTM:
                i, f, g, o = (xs[:, p] + hs[:, p] for p in part)
                c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h_new = _sigmoid(o) * np.tanh(c_new)
            elif cell == GRU:
                r = _sigmoid(xs[:, part[0]] + hs[:, part[0]])
                z = _sigmoid(xs[:, part[1]] + hs[:, part[1]])
                n = np.tanh(xs[:, part[2]] + r * hs[:, part[2]])
                h_new = (1 - z) * n + z * h
            else:
                h_new = np.tanh(xs + hs) if cell == RNN_TANH else np.maximum(xs + hs, 0)
            if c is not None:
                c = np.where(live, c_new, c)
            h = np.where(live, h_new, h)
            out[t] = np.where(live, h_new, 0)
        h_n[layer] = h
        if c is not None:
            c_n[layer] = c
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
def _lstm_units(hg_row, c_row, h_row, out_row, start, width):
    """LSTM: hg_row holds the pre-activations of gates [i, f, g, o], width apart."""
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


@register_jitable(inline="always")
def _gru_units(hg_row, x_row, h_row, out_row, start, width):
    """GRU: hg_row holds r's and z's pre-activations, then W_hn h + b_hn; x_row[2 * width:]
    the n gate's projected input."""
    for k in range(width):
        j = np.uint64(k)
        r = sigmoid(hg_row[j])
        z = sigmoid(hg_row[np.uint64(width + k)])
        n = tanh(x_row[np.uint64(2 * width + k)] + r * hg_row[np.uint64(2 * width + k)])
        h_new = n + z * (h_row[j] - n)
        h_row[j] = h_new
        out_row[np.uint64(start + k)] = h_new


@register_jitable(inline="always")
def _rnn_units(hg_row, h_row, out_row, start, width, relu, zero):
    """Elman RNN: h = tanh (or ReLU) of hg_row. `zero`: 0 in the arrays' dtype."""
    if relu:
        for k in range(width):
            j = np.uint64(k)
            h_new = hg_row[j] if hg_row[j] > zero else zero
            h_row[j] = h_new
            out_row[np.uint64(start + k)] = h_new
        return
    for k in range(width):
        j = np.uint64(k)
        h_new = tanh(hg_row[j])
        h_row[j] = h_new
        out_row[np.uint64(start + k)] = h_new


@register_jitable(inline="always")
def _cell_units(cell, hg_row, x_row, c_row, h_row, out_row, start, width, zero):
    """One sequence's step at the part's units (one loop per cell kind: a branch inside the
    loop would keep LLVM from vectorizing it). hg_row: the gates' pre-activations of those
    units, gate by gate (width apart; GRU's third: W_hn h + b_hn alone), x_row the part's
    projected row; new c (LSTM) and h into c_row and h_row (from 0), h into out_row[start:]."""
    if cell == LSTM:
        _lstm_units(hg_row, c_row, h_row, out_row, start, width)
    elif cell == GRU:
        _gru_units(hg_row, x_row, h_row, out_row, start, width)
    else:
        _rnn_units(hg_row, h_row, out_row, start, width, cell == RNN_RELU, zero)


@register_jitable(inline="always")
def table0_block(table0, rows, gates, start, stop):
    """The (rows, gates * (stop - start)) block of `table0` (flat) that holds the layer-0
    projection of the part owning units [start, stop): C order, blocks side by side."""
    return table0[rows * gates * start:rows * gates * stop].reshape((rows, gates * (stop - start)))


@njit(cache=True, nogil=True, error_model="numpy")
def units_stack_part(cell, x0, row_of, w_ih, w_hh, bias, hh_bias, lengths, h0, c0, h_shared,
                     outs, h_n, c_n, part, parts, flags, split, table0, kept_x, kept_w,
                     kept_b, table0_ready, partner_wait=0):
    """Part `part` of `parts` of the stack's forward: hidden units `unit_block(H, part,
    parts)` of every layer of `cell`. x0 (R, F) layer 0's input rows, row_of (T, N) which row
    step t of sequence n reads; w_ih, w_hh, bias, hh_bias tuples with one entry per layer
    ((G*H, F) / (G*H, H), (G*H, H), (G*H,), (G*H,)); lengths (N,) int64 in [1, T]; h0, c0
    (L, N, H) initial states (c0 read by LSTM only). Writes its units of outs (L, T, N, H)
    (layer l's outputs, the input of layer l + 1), h_n and c_n (L, N, H; c_n by LSTM only);
    h_shared (2, N, H) is the team's scratch for h. `flags`: the team's barrier counters
    (`spin_barrier.new_flags(parts)`), fresh for every call. `split`: the input projection
    runs as the GEMMs of a team of `split` parts (a part's units in `unit_block(H, q, split)`
    blocks; BLAS's bits depend on a GEMM's width), so any `parts` dividing the units as a team
    of `split` does (`split` itself, or 1) gives the same bits. Returns the layer from which
    part 0 ran alone (`len(w_hh)`: never; always for parts != 2): at each layer's last meet
    every part of a team of 2 decides the same from the spin-outs the parts had kept before it
    (`keep_spin_outs`). `table0`: empty, or room (R * G * H,) for layer 0's projection of every
    row of x0 (bias in) kept across calls, part p's block `table0_block(table0, R, G, start,
    stop)`, with copies of what that block came from: kept_x (parts, R, F) x0 as part p saw
    it, kept_w (G*H, F) and kept_b (G*H,) the rows of w_ih[0] and bias[0] (its units' gate
    rows). Where `table0_ready` and x0 and the part's rows are bitwise their copies
    (`same_bits`), the part reads its block instead of projecting x0; else it projects into
    the block, then copies what it read. One table per `parts` and `split` (the layout and
    the bits depend on both); a part checks and writes only its own block and rows.
    `partner_wait` > 0, a team of 2 parts: part 1 joins first thing (`spin_barrier.join_team`),
    and part 0 waits for it at the first meet at most that many `spin_barrier.ticks`; where it
    has not joined by then, part 0 takes its share and both return `PARTNER_TAKEN` (part 1 at
    once, whenever it starts) before writing anything but part 0's own projection block, and
    part 0's caller runs the call as one part (`parts` 1, the same `split`: the same bits).
    A late partner then costs the call at most the wait, not its start (a pool thread woken on
    a loaded machine started 3 ms late at the 90th percentile)."""
    if partner_wait > 0 and parts == 2 and part == 1 and not join_team(flags):
        return PARTNER_TAKEN
    steps, batch = row_of.shape
    layers = len(w_hh)
    alone_from = layers
    gates = 4 if cell == LSTM else (3 if cell == GRU else 1)
    dtype = x0.dtype
    zero = np.zeros(1, dtype)[0]
    met = 0  # barriers passed
    for layer in range(layers):
        if alone_from < layers:  # the team went on as part 0 alone
            part, parts = 0, 1
        weights = w_hh[layer]
        hidden = weights.shape[1]
        start, stop = unit_block(hidden, part, parts)
        width = stop - start
        inputs = x0 if layer == 0 else outs[layer - 1].reshape(steps * batch, outs.shape[3])
        # this part's gate rows of the input projection, gate by gate, with the bias; what
        # each step's product starts from (the projection, or GRU's b_hn for its n gate)
        kept = layer == 0 and table0.size > 0
        fresh = False  # the kept block holds this call's projection
        if kept:
            projected = table0_block(table0, inputs.shape[0], gates, start, stop)
            fresh = table0_ready and same_bits(x0, kept_x[part])
            for gate in range(gates):
                low, high = gate * hidden + start, gate * hidden + stop
                fresh = fresh and same_bits(w_ih[0][low:high], kept_w[low:high]) and same_bits(
                    bias[0][low:high], kept_b[low:high])
        else:
            projected = np.empty((inputs.shape[0], gates * width), dtype)
        loop_start = np.zeros(gates * width, dtype)
        part_bias = np.empty(gates * width, dtype)
        for gate in range(gates):
            for k in range(width):
                part_bias[gate * width + k] = bias[layer][gate * hidden + start + k]
                loop_start[gate * width + k] = hh_bias[layer][gate * hidden + start + k]
        if not fresh:
            for block in range(split):  # the blocks of a team of `split` inside this part's
                low, high = unit_block(hidden, block, split)
                low, high = max(low, start), min(high, stop)
                if low >= high:
                    continue
                for gate in range(gates):
                    rows = w_ih[layer][gate * hidden + low:gate * hidden + high]
                    matmul_into(inputs, rows.T, projected[:, gate * width + low - start:
                                                          gate * width + high - start], False)
            for r in range(inputs.shape[0]):
                projected_row = projected[r]
                for k in range(gates * width):
                    projected_row[np.uint64(k)] += part_bias[np.uint64(k)]
            if kept:  # (after the block: a copy that matches vouches for a written block)
                kept_x[part][...] = x0
                for gate in range(gates):
                    low, high = gate * hidden + start, gate * hidden + stop
                    kept_w[low:high] = w_ih[0][low:high]
                    kept_b[low:high] = bias[0][low:high]
        h = np.empty((batch, width), dtype)
        c = np.empty((batch, width if cell == LSTM else 0), dtype)
        for n in range(batch):
            for k in range(width):
                h[n, k] = h0[layer, n, start + k]
                h_shared[0, n, start + k] = h0[layer, n, start + k]
                if cell == LSTM:
                    c[n, k] = c0[layer, n, start + k]
        if parts > 1:  # every unit of h0 in h_shared[0] before step 0 reads it
            if (layer == 0 and part == 0 and parts == 2 and partner_wait > 0
                    and not partner_joined(flags, partner_wait)):
                return PARTNER_TAKEN
            met += 1
            arrive_and_wait(flags, part, parts, met)
        hg = np.empty((batch, gates * width), dtype)
        out = outs[layer]
        for step in range(steps):
            h_full = h_shared[step % 2]
            for n in range(batch):
                if step >= lengths[n]:  # padding: state kept, output zeros
                    for k in range(width):
                        out[step, n, start + k] = 0
                    continue
                row = projected[row_of[step, n] if layer == 0 else step * batch + n]
                for gate in range(gates):
                    from_row = loop_start if cell == GRU and gate == 2 else row
                    dot_rows_into(weights, gate * hidden + start, width, h_full[n], from_row,
                                  hg[n], gate * width)
                _cell_units(cell, hg[n], row, c[n], h[n], out[step, n], start, width, zero)
            h_next = h_shared[(step + 1) % 2]
            for n in range(batch):
                for k in range(width):
                    h_next[n, start + k] = h[n, k]
            if parts > 1:
                met += 1
                if step == steps - 1:  # what every part reads after this meet
                    keep_spin_outs(flags, part)
                arrive_and_wait(flags, part, parts, met)
        for n in range(batch):
            for k in range(width):
                h_n[layer, n, start + k] = h[n, k]
                if cell == LSTM:
                    c_n[layer, n, start + k] = c[n, k]
        # only a team of 2 goes on as one part: with more parts, one busy core would send
        # every call's upper layers to one thread while the other cores sit idle
        if parts == 2 and steps > 0 and layer + 1 < layers and contended(
                kept_spin_outs(flags, parts), met * parts):
            alone_from = layer + 1
            if part != 0:
                return alone_from
    return alone_from
