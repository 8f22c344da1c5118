"""A training recurrent layer over its input x (T, N, F) as ONE team split by sequence each
way: the input projection inside the forward loop's team, the layer's other products inside
the backward loop's team. Every cell kind whose training loop splits by sequence: LSTM
(`recurrent_lstm_rows`), GRU and RNN (`recurrent_rows_teams`).

`recurrent_ops.layer_forward` / `layer_backward` otherwise hand the threads over five times a
step (projection, forward loop, backward loop, dW_hh, dW_ih), each with main-thread glue
(0.28-0.43 ms under load at batch 32 x 64, H 128; BENCHMARKS.md, issue 11, rawtrain). Here:

- forward: each part packs its share of W_ih^T's panels, meets its partners once (spin
  barrier), projects its own sequences' inputs (`kernels.sequence_projection`) and runs its
  loop; the projection of a row is the same sums whatever block it is taken in, so the bits
  are those of `around_products.project`;
- backward: after its loop, each part forms its own sequences' rows of dx where wanted (its
  share of W_ih's panels packed, one meet, then its rows: the same sums per row as
  `around_products.input_and_weight_grads`), lays out its share of the shifted h_prev rows
  (LSTM without saved h_prev), meets its partners once (every part's rows of the gradients
  are in), then forms its block of dW_hh's rows (BLAS), of dW_ih (the narrow tiles' columns,
  or BLAS rows) and of db_ih's columns: the same sums, block by block, as `around_products`
  and `threads.matmul` run them split over the threads, so the same bits as the layer's other
  path.

Taken only where that path would split the loop by sequence (`CellKind.rows_parts`:
`lstm_rows_parts` for LSTM, `loop_rows_team` for GRU and RNN: 2 threads or more), the
projection takes the panels (`products_take_panels`), and, for the backward, no table was read
and dx, where wanted (a layer over another layer), takes the panels too. Decisions from
shapes, dtype and threads only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqlab.autograd import workspace
from seqlab.autograd.kernels.narrow_weight_grad import narrow_weight_grad_into
from seqlab.autograd.kernels.panel_gemm import (
    COLS,
    lanes_of,
    pack_rows_into,
    pack_transposed_into,
    panels_shape,
)
from seqlab.autograd.kernels.row_blocks import row_block
from seqlab.autograd.kernels.sequence_projection import project_sequences_into
from seqlab.autograd.kernels.spin_barrier import arrive_and_wait, side_barrier
from seqlab.autograd.threads import seqlab_computing
from seqlab.seqmodels.around_products import (
    BLOCK,
    NARROW_BLOCK,
    narrow_grad_takes_tiles,
    products_take_panels,
)
from seqlab.seqmodels.cell_kinds import CELL_KINDS
from seqlab.seqmodels.recurrent_loops import (
    _lstm_rows_backward,
    _lstm_rows_forward,
    in_step,
)
from seqlab.seqmodels.recurrent_rows_teams import (
    gru_rows_backward,
    gru_rows_forward,
    rnn_rows_backward,
    rnn_rows_forward,
)

Array = np.ndarray
# A team of at least this many parts takes the fused layer (a module setting, so that
# `benchmarks/rows_split_ab.py` can alternate it with 2**62, the layer's other path).
MIN_FUSED_PARTS = 2


def forward_parts(kind_name: str, x: Array, w_ih: Array, w_hh: Array, save: bool) -> int:
    """How many parts the fused forward runs as for this layer, or 0 where it is not taken."""
    steps, batch, features = x.shape
    if kind_name not in CELL_KINDS or not save or x.dtype != w_ih.dtype or w_hh.dtype != x.dtype:
        return 0
    if not products_take_panels(steps * batch, features, w_ih.shape[0], x.dtype):
        return 0
    parts = CELL_KINDS[kind_name].rows_parts(steps, batch, w_hh)
    return parts if parts >= max(MIN_FUSED_PARTS, 2) else 0


def backward_parts(kind_name: str, x: Array, w_ih: Array, w_hh: Array, has_table: bool,
                   need_input_grad: bool) -> int:
    """How many parts the fused backward runs as, or 0 where it is not taken."""
    steps, batch, features = x.shape
    dtype = w_hh.dtype
    if (kind_name not in CELL_KINDS or has_table or x.dtype != dtype or w_ih.dtype != dtype):
        return 0
    if need_input_grad and not products_take_panels(steps * batch, w_ih.shape[0], features,
                                                    dtype):
        return 0  # (dx by BLAS: the layer's other path)
    parts = CELL_KINDS[kind_name].rows_parts(steps, batch, w_hh)
    return parts if parts >= max(MIN_FUSED_PARTS, 2) else 0


def _share(count: int, part: int, parts: int) -> tuple[int, int]:
    """[start, stop) of part `part`'s near-equal share of `count` items."""
    return count * part // parts, count * (part + 1) // parts


def _projecting(x: Array, w_ih: Array, bias: Array | None,
                parts: int) -> tuple[Array, Callable[[int, int, Array], None]]:
    """Room for x @ w_ih^T (+ bias) (T, N, G) and the call each part makes before its loop
    to fill its own sequences' rows (packing its share of the panels first, then meeting its
    partners on the team's `flags`)."""
    steps, batch, _ = x.shape
    gate_width = w_ih.shape[0]
    dtype = x.dtype
    x = np.ascontiguousarray(x)
    w_ih = np.ascontiguousarray(w_ih)
    xg = workspace.empty((steps, batch, gate_width), dtype)
    panels = workspace.empty(panels_shape(w_ih.shape[1], gate_width, dtype), dtype)
    width = panels.shape[2]
    has_bias = bias is not None
    first = (np.broadcast_to(np.ascontiguousarray(bias, dtype), (batch, gate_width)) if has_bias
             else xg[0])

    def project(part: int, parts: int, flags: Array) -> None:
        low, high = _share(panels.shape[0], part, parts)
        pack_transposed_into(w_ih[low * width:high * width], panels[low:high])
        # every part's panels are in (on the team's flags: a part that raises releases it)
        arrive_and_wait(side_barrier(flags), part, parts, 1)
        start, stop = row_block(batch, part, parts)
        project_sequences_into(x, panels, first, has_bias, xg, start, stop, BLOCK)

    return xg, project


def project_and_loop(kind_name: str, x: Array, h0: Array, c0: Array | None, w_ih: Array,
                     w_hh: Array, bias: Array | None, b_hh: Array | None, lengths: Array,
                     reverse: bool, parts: int) -> tuple:
    """x (T, N, F) projected by w_ih (G*H, F) (+ bias: `CellKind.projection_bias`) and run
    through the kind's loop (GRU: with b_hh in the loop), as one team of `parts` split by
    sequence: the kind's loop_forward results (out, h_n, c_n, activations)."""
    steps, batch, _ = x.shape
    dtype = x.dtype
    kind = CELL_KINDS[kind_name]
    xg, project = _projecting(x, w_ih, bias, parts)
    h0 = np.ascontiguousarray(h0, dtype=dtype)
    with seqlab_computing():
        if kind.has_cell_state:  # the LSTM loop
            x_rows = xg.reshape(steps * batch, -1)
            row_of = np.arange(steps * batch).reshape(steps, batch)
            out, h_n, c_n, *activations = _lstm_rows_forward(
                x_rows, row_of, h0, np.ascontiguousarray(c0, dtype=dtype), w_hh, lengths,
                reverse, parts, not in_step(lengths, steps, reverse), before_loop=project)
            return out, h_n, c_n, tuple(activations)
        if kind.hh_bias_in_loop:  # the GRU loop
            return gru_rows_forward(xg, h0, w_hh, b_hh, lengths, reverse, None, parts,
                                    before_loop=project)
        return rnn_rows_forward(xg, h0, w_hh, lengths, reverse, None, kind.relu,
                                parts, before_loop=project)


def loop_and_weight_grads(kind_name: str, activations: tuple, w_hh: Array, lengths: Array,
                          reverse: bool, d_out: Array, d_hn: Array, d_cn: Array | None,
                          x: Array, w_ih: Array, has_bias: bool, parts: int, reuse_saved: bool,
                          need_input_grad: bool = False) -> tuple:
    """The kind's loop backward and the layer's gradients as one team of `parts` split by
    sequence: (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh): dx (T, N, F) only with
    `need_input_grad` (else None), dc0 only for LSTM, db_* None without bias (db_hh of LSTM
    and RNN is db_ih's copy; GRU's from its loop). Arguments as the kind's `loop_backward`'s,
    x (T, N, F) the layer's input."""
    kind = CELL_KINDS[kind_name]
    first = activations[0]
    steps, batch = first.shape[:2]
    hidden = w_hh.shape[1]
    gate_width = w_ih.shape[0]
    features = x.shape[2]
    dtype = first.dtype
    rows = steps * batch
    x_flat = np.ascontiguousarray(x).reshape(rows, features)
    shifted = kind.has_cell_state and in_step(lengths, steps, reverse)
    if shifted:  # h_prev[t] is out[t -+ 1] and h0 at the first step read (as
        # `around_products.recurrent_weight_grad`), laid out by the parts
        out, h0 = activations[4], activations[5]
        previous = workspace.empty((rows, hidden), dtype)
        out_flat = out.reshape(rows, hidden)
    else:  # the saved h_prev
        previous = activations[kind.saved_h_prev].reshape(rows, hidden)
    dw_hh = np.empty((gate_width, hidden), dtype)
    narrow = narrow_grad_takes_tiles(rows, features, gate_width, dtype)
    tile_width = COLS * lanes_of(dtype)
    dw_ih = np.empty((features, gate_width) if narrow else (gate_width, features), dtype)
    db = np.empty(gate_width, dtype) if has_bias else None
    dx = None
    if need_input_grad:  # room for W_ih's panels (packed by the parts) and for dx
        w_ih = np.ascontiguousarray(w_ih)
        w_panels = workspace.empty(panels_shape(gate_width, features, dtype), dtype)
        dx = workspace.empty((steps, batch, features), dtype)

    def input_grad(part: int, parts: int, met: Array, d_xg: Array) -> None:
        width = w_panels.shape[2]
        low, high = _share(w_panels.shape[0], part, parts)
        pack_rows_into(w_ih[:, low * width:high * width], w_panels[low:high])
        arrive_and_wait(met, part, parts, 1)  # every part's panels are in
        start, stop = row_block(batch, part, parts)
        project_sequences_into(d_xg, w_panels, dx[0], False, dx, start, stop, BLOCK)

    def lay_out_previous(part: int, parts: int) -> None:
        low, high = _share(rows, part, parts)
        later = rows - batch
        if reverse:  # row r reads out row r + batch; the last step's rows h0
            copy_rows(previous, out_flat, batch, 0, later, low, high)
            copy_rows(previous, h0, -later, later, rows, low, high)
        else:
            copy_rows(previous, h0, 0, 0, batch, low, high)
            copy_rows(previous, out_flat, -batch, batch, rows, low, high)

    def weight_grads(part: int, parts: int, flags: Array, d_xg: Array, d_hh: Array) -> None:
        # the layer's meets, on the team's flags (a part that raises releases them)
        met = side_barrier(flags)
        if need_input_grad:
            input_grad(part, parts, met, d_xg)
        if shifted:
            lay_out_previous(part, parts)
        # every part's rows of the gradients and of previous are in
        arrive_and_wait(met, part, parts, 2 if need_input_grad else 1)
        d_flat = d_xg.reshape(rows, gate_width)
        low, high = _share(gate_width, part, parts)
        np.matmul(d_hh.reshape(rows, gate_width).T[low:high], previous, out=dw_hh[low:high])
        if narrow:
            first, last = _share(gate_width // tile_width, part, parts)
            narrow_weight_grad_into(x_flat, d_flat, dw_ih, first * tile_width,
                                    last * tile_width, tile_width, NARROW_BLOCK)
        else:
            np.matmul(d_flat.T[low:high], x_flat, out=dw_ih[low:high])
        if db is not None:
            np.sum(d_flat[:, low:high], axis=0, out=db[low:high])

    dc0 = db_hh = None
    with seqlab_computing():
        if kind.has_cell_state:  # the LSTM loop
            _, dh0, dc0, _, _ = _lstm_rows_backward(activations, w_hh, lengths, reverse, d_out,
                                                    d_hn, d_cn, parts, None, 0, reuse_saved,
                                                    after_loop=weight_grads)
        elif kind.hh_bias_in_loop:  # the GRU loop
            _, dh0, _, _, db_hh = gru_rows_backward(activations, w_hh, lengths, reverse, None, 0,
                                                    d_out, d_hn, parts, after_loop=weight_grads)
        else:
            _, dh0, _, _, _ = rnn_rows_backward(activations, w_hh, lengths, reverse, None, 0,
                                                d_out, d_hn, kind.relu, parts,
                                                after_loop=weight_grads)
    if narrow:
        dw_ih = np.ascontiguousarray(dw_ih.T)
    if db is None:
        db_hh = None
    elif db_hh is None:  # b_hh was in the projection: the same gradient
        db_hh = db.copy()
    return dx, dh0, dc0, dw_ih, dw_hh, db, db_hh


def copy_rows(target: Array, source: Array, shift: int, start: int, stop: int, low: int,
              high: int) -> None:
    """target[r] = source[r + shift] for the rows r in [start, stop) that lie in [low, high)."""
    first, last = max(start, low), min(stop, high)
    if first < last:
        target[first:last] = source[first + shift:last + shift]
