"""The GRU and RNN training loops as a team of threads split by sequence, on plain ndarrays.

Each function runs one loop of `recurrent_loops` (same arguments, results and saved
activations as its single-thread version, so either backward runs after either forward) as
`parts` threads, part p taking sequences `row_block(N, p, parts)` through all hidden units with
no barrier inside the time loop (`kernels.recurrent_gru_rows`, `kernels.recurrent_rnn_rows`).
A forward that reads a table at ids reads it in place (no (T, N, G) gather), and the backward
adds into the table's gradient inside the team. dW_hh is one GEMM over all steps after the
team (`around_products.recurrent_weight_grad`, NumPy's BLAS on seqlab's threads): formed
inside the team, by SciPy's BLAS through Numba, split by gate rows, it took 5-40% more CPU
time (2 threads, AMD EPYC Zen 4, batch 32 x 64, H 128-512; see BENCHMARKS.md, issue 11,
narrow). `recurrent_loops` decides when to call these.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd.kernels.panel_gemm import panels_shape
from seqlab.autograd.kernels.recurrent_gru_rows import gru_backward_rows, gru_forward_rows
from seqlab.autograd.kernels.recurrent_rnn_rows import rnn_backward_rows, rnn_forward_rows
from seqlab.autograd.threads import run_team
from seqlab.autograd.workspace import empty
from seqlab.seqmodels.around_products import recurrent_weight_grad

Array = np.ndarray


def rows_of(xg: Array, ids: Array | None) -> tuple[Array, Array]:
    """(x_rows, row_of): xg (T, N, G) as T*N rows, or a (R, G) table read at ids (T, N)."""
    if ids is not None:
        return xg, ids
    steps, batch, gate_width = xg.shape
    return xg.reshape(steps * batch, gate_width), np.arange(steps * batch).reshape(steps, batch)


def table_room(ids: Array | None, table_rows: int, gate_width: int, dtype) -> Array:
    """Zeros for the gradient of a (table_rows, G) table read at ids (no rows without ids),
    starting on a cache line (`workspace`: parts of a team add into it side by side)."""
    rows = table_rows if ids is not None else 0
    room = empty((rows, gate_width), dtype)
    room[...] = 0
    return room


def table_row_of(ids: Array | None) -> Array:
    """The row_of a backward kernel gets with `table_room(ids, ...)`: ids, or (0, 0) when the
    forward read no table (the kernel then skips the table's gradient: it has no rows)."""
    return ids if ids is not None else np.empty((0, 0), np.int64)


def gru_rows_forward(xg, h0, w_hh, b_hh, lengths, reverse, ids, parts, before_loop=None):
    """`recurrent_loops.gru_loop_forward` with save, as `parts` threads: out, h_n, None and
    the saved (gates, hidden_n, h_prev). Each part calls before_loop(part, parts, flags) first
    when given (`rows_layer`: it projects its own sequences' inputs)."""
    x_rows, row_of = rows_of(xg, ids)
    steps, batch = row_of.shape
    gate_width = x_rows.shape[1]
    hidden = gate_width // 3
    dtype = x_rows.dtype
    bias = np.zeros(gate_width, dtype) if b_hh is None else np.ascontiguousarray(b_hh, dtype)
    out, hidden_n, h_prev = (empty((steps, batch, hidden), dtype) for _ in range(3))
    gates = empty((steps, batch, gate_width), dtype)
    h_n = np.empty((batch, hidden), dtype)
    h0 = np.ascontiguousarray(h0, dtype=dtype)
    w_hh = np.ascontiguousarray(w_hh)
    w_panels = empty(panels_shape(hidden, gate_width, dtype), dtype)

    def run_part(part, parts, flags):
        if before_loop is not None:
            before_loop(part, parts, flags)
        gru_forward_rows(x_rows, row_of, w_hh, w_panels, bias, lengths, reverse, h0, h_n, out,
                         gates, hidden_n, h_prev, part, parts, flags)

    run_team(parts, run_part)
    return out, h_n, None, (gates, hidden_n, h_prev)


def gru_rows_backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out, d_hn, parts,
                      after_loop=None):
    """`recurrent_loops.gru_loop_backward` as `parts` threads: d_xg (the table's gradient
    when the forward read one), dh0, None, dw_hh, db_hh. With `after_loop`, each part calls
    after_loop(part, parts, flags, d_xg, d_hg) once its loop is done and dw_hh is left to it
    (None)."""
    gates, hidden_n, h_prev = activations
    _, batch, gate_width = gates.shape
    hidden = gate_width // 3
    dtype = gates.dtype
    d_xg, d_hg = (empty(gates.shape, dtype) for _ in range(2))
    d_table = table_room(ids, table_rows, gate_width, dtype)
    dh = np.empty((batch, hidden), dtype)
    db_hh = np.empty(gate_width, dtype)
    w_hh = np.ascontiguousarray(w_hh)
    w_panels = empty(panels_shape(gate_width, hidden, dtype), dtype)
    d_out, d_hn = (np.ascontiguousarray(a, dtype=dtype) for a in (d_out, d_hn))
    row_of = table_row_of(ids)

    def run_part(part, parts, flags):
        gru_backward_rows(gates, hidden_n, h_prev, w_hh, w_panels, lengths, reverse, d_out,
                          d_hn, d_xg, d_hg, dh, part, parts, flags, db_hh, row_of,
                          d_table)
        if after_loop is not None:
            after_loop(part, parts, flags, d_xg, d_hg)

    run_team(parts, run_part)
    dw_hh = (None if after_loop is not None
             else recurrent_weight_grad(d_hg, h_prev, None, False, reverse))
    return (d_xg if ids is None else d_table), dh, None, dw_hh, db_hh


def rnn_rows_forward(xg, h0, w_hh, lengths, reverse, ids, relu, parts, before_loop=None):
    """`recurrent_loops.rnn_loop_forward` as `parts` threads: out, h_n, None and the saved
    (out, h_prev); `before_loop` as `gru_rows_forward`'s."""
    x_rows, row_of = rows_of(xg, ids)
    steps, batch = row_of.shape
    hidden = x_rows.shape[1]
    dtype = x_rows.dtype
    out, h_prev = (empty((steps, batch, hidden), dtype) for _ in range(2))
    h_n = np.empty((batch, hidden), dtype)
    h0 = np.ascontiguousarray(h0, dtype=dtype)
    w_hh = np.ascontiguousarray(w_hh)
    w_panels = empty(panels_shape(hidden, hidden, dtype), dtype)

    def run_part(part, parts, flags):
        if before_loop is not None:
            before_loop(part, parts, flags)
        rnn_forward_rows(x_rows, row_of, w_hh, w_panels, lengths, reverse, relu, h0, h_n, out,
                         h_prev, part, parts, flags)

    run_team(parts, run_part)
    return out, h_n, None, (out, h_prev)


def rnn_rows_backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out, d_hn, relu,
                      parts, after_loop=None):
    """`recurrent_loops.rnn_loop_backward` as `parts` threads: d_xg (the table's gradient
    when the forward read one), dh0, None, dw_hh, None; `after_loop` as `gru_rows_backward`'s
    (called with d_xg twice)."""
    out, h_prev = activations
    _, batch, hidden = out.shape
    dtype = out.dtype
    d_xg = empty(out.shape, dtype)
    d_table = table_room(ids, table_rows, hidden, dtype)
    dh = np.empty((batch, hidden), dtype)
    w_hh = np.ascontiguousarray(w_hh)
    w_panels = empty(panels_shape(hidden, hidden, dtype), dtype)
    d_out, d_hn = (np.ascontiguousarray(a, dtype=dtype) for a in (d_out, d_hn))
    row_of = table_row_of(ids)

    def run_part(part, parts, flags):
        rnn_backward_rows(out, h_prev, w_hh, w_panels, lengths, reverse, relu, d_out, d_hn,
                          d_xg, dh, part, parts, flags, row_of, d_table)
        if after_loop is not None:
            after_loop(part, parts, flags, d_xg, d_xg)

    run_team(parts, run_part)
    dw_hh = (None if after_loop is not None
             else recurrent_weight_grad(d_xg, h_prev, None, False, reverse))
    return (d_xg if ids is None else d_table), dh, None, dw_hh, None
