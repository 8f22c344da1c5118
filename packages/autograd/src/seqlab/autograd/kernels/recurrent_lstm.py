"""Fused LSTM time loops for one direction of one layer (PyTorch gate rows [i, f, g, o]).

The input projection `x @ W_ih^T + b_ih + b_hh` is done by the caller (adding the bias inside
the loop instead stopped LLVM vectorizing it: 2x slower) and comes as rows (R, 4H) with the row
of each (time, sequence) in `row_of` (T, N): R = T*N rows of one GEMM, or a (vocab, 4H) table a
language model gathers from, read in place (no (T, N, 4H) copy: forward 2.38 -> 2.18 ms at
H=128, 1.57 -> 1.36 ms on 2 parts, gather included). The loops run
only `W_hh h` (forward) and `W_hh^T dgates` (backward) per step, fused with the gate math.
The per-step product is `panel_gemm_packed_into` over W_hh packed once per layer call
(`pack_panels`: W_hh^T's columns of the part's units in the forward, W_hh's in the backward),
written as (N, .) rows with no transpose; it replaced OpenBLAS plus a transpose and, from batch
4, `rows_gemm` (CPU time, one thread, AMD EPYC Zen 4, batch 32: 112-115 GFLOP/s against 74-106
and 53-82). Below batch 4 (`panels_pay`) the loops keep OpenBLAS's `W_hh h` and a transpose:
there the packing (a 1 MiB transpose, ~0.6 ms at H = 256) costs more than the panels save.
Every saved array is in time order, so the caller gets dW_hh as one GEMM `d_xg^T @ h_prev` over
all steps (or, when every sequence reads the same time at each step, from `out` shifted by one
step and h0, without saving h_prev). `lengths` (N,) int64 with 1 <= L <= T: steps past a
sequence's length leave its state alone and output zeros; with `reverse` step s reads time
L-1-s.
"""

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .active_rows import active_rows
from .panel_gemm import pack_rows_into, pack_transposed_into, panel_gemm_packed_into
from .recurrent_activations import sigmoid, tanh
from .recurrent_blas import matmul_into, transpose_into
from .spin_barrier import arrive_and_wait
from .unit_blocks import unit_block


@register_jitable(inline="always")
def copy_into(source, source_offset, target, target_offset, count):
    """target[target_offset:][:count] = source[source_offset:][:count] for 1-D C-contiguous
    rows (a loop LLVM vectorizes; slicing the rows instead would make them strided arrays).
    Unsigned indices: with signed ones the wraparound select made LLVM emit scatters."""
    for k in range(count):
        target[np.uint64(target_offset + k)] = source[np.uint64(source_offset + k)]


@register_jitable(inline="always")
def lstm_units_unsaved(x_row, hg_row, c_row, h_row, out_row, start, width, hidden):
    """One sequence's step of lstm_forward_part at its units, keeping nothing for backward:
    the new c and h in c_row and h_row (the part's own, width long), h in out_row[start:]."""
    for k in range(width):
        j = np.uint64(start + k)  # unsigned: no wraparound select (see lstm_forward_part)
        gi = sigmoid(x_row[j] + hg_row[k])
        gf = sigmoid(x_row[np.uint64(hidden + start + k)] + hg_row[width + k])
        gg = tanh(x_row[np.uint64(2 * hidden + start + k)] + hg_row[2 * width + k])
        go = sigmoid(x_row[np.uint64(3 * hidden + start + k)] + hg_row[3 * width + k])
        c_new = gf * c_row[k] + gi * gg
        c_row[k] = c_new
        h_new = go * tanh(c_new)
        h_row[k] = h_new
        out_row[j] = h_new


@register_jitable(inline="always")
def lstm_units_saved(x_row, hg_row, c_row, h_row, out_row, g_row, c_prev_row, tanh_c_row,
                     start, width, hidden, hg_gate):
    """One sequence's step of the LSTM at units [start, start + width), keeping what backward
    needs: gates, c_prev and tanh(c) at those units of g_row, c_prev_row and tanh_c_row, h in
    out_row; the new c and h in c_row and h_row (indexed from 0). hg_row holds W_hh h for
    those units gate by gate, hg_gate apart (the unit split: the part's 4 * width products;
    the split by sequence: all 4H). Inlined into both teams' forward loops (one cell update)."""
    for k in range(width):
        # unsigned indices: Numba then skips the negative-index wraparound, whose select
        # stops LLVM vectorizing the loop (measured 2x slower at H=128)
        j = np.uint64(start + k)
        j_f = np.uint64(hidden + start + k)
        j_g = np.uint64(2 * hidden + start + k)
        j_o = np.uint64(3 * hidden + start + k)
        gi = sigmoid(x_row[j] + hg_row[np.uint64(k)])
        gf = sigmoid(x_row[j_f] + hg_row[np.uint64(hg_gate + k)])
        gg = tanh(x_row[j_g] + hg_row[np.uint64(2 * hg_gate + k)])
        go = sigmoid(x_row[j_o] + hg_row[np.uint64(3 * hg_gate + k)])
        g_row[j] = gi
        g_row[j_f] = gf
        g_row[j_g] = gg
        g_row[j_o] = go
        c_old = c_row[np.uint64(k)]
        c_prev_row[j] = c_old
        c_new = gf * c_old + gi * gg
        tc = tanh(c_new)
        tanh_c_row[j] = tc
        c_row[np.uint64(k)] = c_new
        h_new = go * tc
        h_row[np.uint64(k)] = h_new
        out_row[j] = h_new


@register_jitable(inline="always")
def lstm_units_backward(g_row, tanh_c_row, c_prev_row, d_out_row, dh_row, dc_row, dx_row,
                        start, width, hidden, one):
    """One sequence's backward step of the LSTM at units [start, start + width): the gate
    gradients into dx_row at those units; dc_row (indexed from 0) takes dc back one step.
    dh_row (from 0) holds the gradient reaching h from later steps. Inlined into both teams'
    backward loops. `one`: 1 in the arrays' dtype."""
    for k in range(width):
        j = np.uint64(start + k)  # unsigned: no wraparound select (see lstm_units_saved)
        j_f = np.uint64(hidden + start + k)
        j_g = np.uint64(2 * hidden + start + k)
        j_o = np.uint64(3 * hidden + start + k)
        gi = g_row[j]
        gf = g_row[j_f]
        gg = g_row[j_g]
        go = g_row[j_o]
        tc = tanh_c_row[j]
        dh_total = dh_row[np.uint64(k)] + d_out_row[j]
        dc_total = dc_row[np.uint64(k)] + dh_total * go * (one - tc * tc)
        dx_row[j] = dc_total * gg * gi * (one - gi)
        dx_row[j_f] = dc_total * c_prev_row[j] * gf * (one - gf)
        dx_row[j_g] = dc_total * gi * (one - gg * gg)
        dx_row[j_o] = dh_total * tc * go * (one - go)
        dc_row[np.uint64(k)] = dc_total * gf


@register_jitable(inline="always")
def lstm_step_backward(g_row, tanh_c_row, c_prev_row, d_out_row, dh_row, dc_row, d_xg_row,
                       start, width, hidden, one, in_place):
    """`lstm_units_backward` into d_xg_row, or with `in_place` over g_row itself; returns the
    row written. In place, one array is read and written at the same index, which LLVM
    vectorizes as it is; the gates handed in a second time as d_xg_row (two arrays that
    overlap) ran ~6% slower (12.3-12.5 against 11.7-11.8 ms a backward loop at H = 256,
    batch 32 x 64: the vectorized loop's overlap check fails)."""
    if in_place:
        lstm_units_backward(g_row, tanh_c_row, c_prev_row, d_out_row, dh_row, dc_row, g_row,
                            start, width, hidden, one)
        return g_row
    lstm_units_backward(g_row, tanh_c_row, c_prev_row, d_out_row, dh_row, dc_row, d_xg_row,
                        start, width, hidden, one)
    return d_xg_row


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_forward_part(x_rows, row_of, w_part, w_panels, lengths, reverse, h_shared, c, out,
                      gates, c_prev, tanh_c, h_prev, part, parts, flags, save_h_prev, save=True):
    """Run hidden units `unit_block(H, part, parts)` of the LSTM over the input projection
    x_rows[row_of[t, n]] (rows (R, 4H), row_of (T, N)).

    w_part holds those units' rows of W_hh, gate by gate (4 * width, H), and w_panels room
    for the same transposed, packed (`panels_shape(H, 4 * width)`), which the part fills:
    with panels each step's product is `panel_gemm_packed_into`, without ((0, ., .): small
    batches, see `panels_pay`) BLAS's `w_part @ h^T` and a transpose. h_shared (2, N, H)
    holds h0 in [0]; with several parts, step s reads h_shared[s % 2] whole and writes its units
    of h_shared[(s + 1) % 2], so one barrier per step keeps the parts in step. Fills the caller's
    out, gates, c_prev, tanh_c, h_prev (time order; h_prev only if save_h_prev) at this part's
    units, and h_shared[T % 2] and c (c0 on entry) with the final state. Without `save`
    (inference: nothing will run backward) gates, c_prev, tanh_c and h_prev are left alone and
    may be placeholders of any shape: only out and the final state are written.
    """
    steps, batch = row_of.shape
    gate_width = x_rows.shape[1]
    hidden = gate_width // 4
    start, stop = unit_block(hidden, part, parts)
    width = stop - start
    dtype = x_rows.dtype
    # the state of this part's units, in arrays of its own (the shared h is only GEMM input)
    h = np.empty((batch, width), dtype)
    c_own = np.empty((batch, width), dtype)
    for n in range(batch):
        copy_into(h_shared[0, n], start, h[n], 0, width)
        copy_into(c[n], start, c_own[n], 0, width)
    by_panels = w_panels.shape[0] > 0
    if by_panels:  # each part packs its own (in parallel, where the team has several)
        pack_transposed_into(w_part, w_panels)
    hg_t = np.empty((0 if by_panels else 4 * width, batch), dtype)
    hg = np.empty((batch, w_panels.shape[0] * w_panels.shape[2] if by_panels else 4 * width),
                  dtype)
    active = batch  # the rows still running (`active_rows`: the panels' rows alone)
    for step in range(steps):
        h_full = h if parts == 1 else h_shared[step % 2]
        if by_panels:
            active = active_rows(lengths, step, active)
            panel_gemm_packed_into(h_full[:active], w_panels, hg[:active])
        else:
            matmul_into(w_part, h_full.T, hg_t, False)
            transpose_into(hg_t, hg)
        for n in range(batch):
            length = lengths[n]
            if step >= length:
                # time `step` is padding for this sequence in both directions: zeros keep the
                # caller's all-steps GEMMs (dW_hh = d_xg^T h_prev) free of garbage
                out[step, n, start:stop] = 0
                if not save:
                    continue
                for gate in range(4):
                    gates[step, n, gate * hidden + start:gate * hidden + stop] = 0
                c_prev[step, n, start:stop] = 0
                tanh_c[step, n, start:stop] = 0
                if save_h_prev:
                    h_prev[step, n, start:stop] = 0
                continue
            t = length - 1 - step if reverse else step
            x_row = x_rows[row_of[t, n]]
            hg_row = hg[n]
            h_row = h[n]
            c_row = c_own[n]
            out_row = out[t, n]
            if not save:
                lstm_units_unsaved(x_row, hg_row, c_row, h_row, out_row, start, width, hidden)
                continue
            g_row = gates[t, n]
            c_prev_row = c_prev[t, n]
            tanh_c_row = tanh_c[t, n]
            if save_h_prev:
                copy_into(h_row, 0, h_prev[t, n], start, width)
            lstm_units_saved(x_row, hg_row, c_row, h_row, out_row, g_row, c_prev_row,
                             tanh_c_row, start, width, hidden, width)
        if parts > 1:
            h_next = h_shared[(step + 1) % 2]
            for n in range(batch):
                copy_into(h[n], 0, h_next[n], start, width)
            arrive_and_wait(flags, part, parts, step + 1)
    h_last = h_shared[steps % 2]
    for n in range(batch):
        copy_into(h[n], 0, h_last[n], start, width)
        copy_into(c_own[n], 0, c[n], start, width)


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_backward_part(gates, c_prev, tanh_c, w_t_part, w_hh, w_panels, lengths, reverse, d_out,
                       d_hn, dc, d_xg, d_step_buf, dh, part, parts, flags, in_step, row_of,
                       d_rows, in_place):
    """Backpropagate hidden units `unit_block(H, part, parts)` through lstm_forward_part.

    w_t_part = W_hh^T's rows for those units (width, 4H) for BLAS, or w_panels room for
    W_hh's columns of those units packed (`panels_shape(4H, width)`), which the part fills
    from w_hh (4H, H) (as in the forward: the unused one is empty). Every
    part writes its units' gate gradients into d_step_buf[s % 2] (2, N, 4H); after the step's
    barrier each multiplies the whole of it by its panels: the recurrent gradient at its units
    in dh (N, H).
    `in_step` (every sequence reads the same time at each step: forward, or all lengths T) skips
    that buffer: the step's rows of d_xg are the GEMM operand (half the stores).
    dc (N, H) holds d_c_n on entry; on return dc and dh hold d_c0 and d_h0 at this part's units.
    dW_hh is not formed here: every saved array is in time order, so the caller forms it after
    the team as one GEMM over all steps with NumPy's BLAS (`around_products.
    recurrent_weight_grad`; the SciPy BLAS a kernel calls ran it 5-15% slower). When the
    forward read a table, d_rows (R, 4H) (zeros on entry; (0, 4H) otherwise) gets d_xg's
    columns of a contiguous block of rows (`unit_block` over 4H: after the last step's barrier
    every part's gradients are in d_xg) added at row_of's rows.
    `in_place` (the caller passes gates itself as d_xg: no one reads the gates again) writes
    each step's gate gradients over its gates (`lstm_step_backward`).
    """
    steps, batch, gate_width = gates.shape
    hidden = gate_width // 4
    start, stop = unit_block(hidden, part, parts)
    width = stop - start
    one = np.ones(1, gates.dtype)[0]
    # the state gradients of this part's units, in arrays of its own (as in the forward loop)
    by_panels = w_panels.shape[0] > 0
    if by_panels:
        pack_rows_into(w_hh[:, start:stop], w_panels)
    dh_own = np.zeros((batch, w_panels.shape[0] * w_panels.shape[2] if by_panels else width),
                      gates.dtype)
    dh_t = np.empty((0 if by_panels else width, batch), gates.dtype)
    dc_own = np.empty((batch, width), gates.dtype)
    for n in range(batch):
        copy_into(dc[n], start, dc_own[n], 0, width)
    for step in range(steps - 1, -1, -1):
        d_step = d_xg[steps - 1 - step if reverse else step] if in_step else d_step_buf[step % 2]
        # the rows still running at `step` (`active_rows`: the panels' rows alone): a row past
        # them has a zero d_step and reads no product before its last step (d_hn instead)
        active = active_rows(lengths, step, batch)
        for n in range(batch):
            length = lengths[n]
            if step >= length:
                for gate in range(4):
                    d_xg[step, n, gate * hidden + start:gate * hidden + stop] = 0
                    d_step[n, gate * hidden + start:gate * hidden + stop] = 0
                continue
            t = length - 1 - step if reverse else step
            dh_row = dh_own[n]
            if step == length - 1:
                # a sequence's last valid step gets d_hn (padding passes the state through)
                copy_into(d_hn[n], start, dh_row, 0, width)
            dx_row = lstm_step_backward(gates[t, n], tanh_c[t, n], c_prev[t, n], d_out[t, n],
                                        dh_row, dc_own[n], d_xg[t, n], start, width, hidden,
                                        one, in_place)
            d_row = d_step[n]
            if not in_step:
                for gate in range(4):
                    copy_into(dx_row, gate * hidden + start, d_row, gate * hidden + start, width)
        arrive_and_wait(flags, part, parts, steps - step)
        if by_panels:
            panel_gemm_packed_into(d_step[:active], w_panels, dh_own[:active])
        else:
            matmul_into(w_t_part, d_step.T, dh_t, False)
            transpose_into(dh_t, dh_own)
    # every sequence has step 0 valid, so the last GEMM holds d_h0 for all of them
    for n in range(batch):
        copy_into(dh_own[n], 0, dh[n], start, width)
        copy_into(dc_own[n], 0, dc[n], start, width)
    low, high = unit_block(gate_width, part, parts)
    if d_rows.shape[0] > 0:
        add_rows_into(d_xg, row_of, d_rows, low, high)


@njit(cache=True, nogil=True, error_model="numpy")
def add_rows_into(d_xg, row_of, d_rows, low, high):
    """d_rows[row_of[t, n], low:high] += d_xg[t, n, low:high] for every (t, n): the backward of
    reading rows through row_of (a table's rows read many times add up)."""
    steps, batch = row_of.shape
    for t in range(steps):
        for n in range(batch):
            source = d_xg[t, n]
            target = d_rows[row_of[t, n]]
            for k in range(high - low):
                j = np.uint64(low + k)  # unsigned: no wraparound select (see forward)
                target[j] += source[j]


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
