"""A no-grad LSTM stack at a small batch on several threads: every layer as one team split by
hidden units (`kernels.recurrent_lstm_units`), each thread keeping its own rows of each W_hh
hot in its own core's cache.

At batch 1 the batch split (`recurrent_inference.batch_parts`) has nothing to split, and the
per-layer team of `recurrent_loops` calls BLAS every step from both threads at once (no faster
than one thread). Here one team runs the whole stack: each part projects its own gate rows of
every layer's input and runs its units' steps with its own GEMV, meeting the other parts once
a step (see the kernel module for the measurements).
"""

from __future__ import annotations

import numba
import numpy as np

from seqlab.autograd.kernels.panel_gemm import MIN_BATCH
from seqlab.autograd.kernels.recurrent_lstm_units import lstm_units_stack_part
from seqlab.autograd.threads import run_team, seqlab_computing, team_size
from seqlab.autograd.workspace import empty
from seqlab.seqmodels.cell_kinds import CellKind


def units_team_parts(kind: CellKind, batch: int, hidden: int, directions: int) -> int:
    """How many parts `units_team_forward` runs a stack as; 1: it does not (the other paths
    serve it). An LSTM, one direction, a batch below the panels' (`MIN_BATCH`: from there the
    per-layer loops run on packed panels), as many parts as a time loop over `hidden` units
    gets (`team_size`)."""
    if numba.config.DISABLE_JIT or not kind.has_cell_state or directions != 1:
        return 1
    if batch >= MIN_BATCH:
        return 1
    return team_size(hidden)


def units_team_forward(stack, x0: np.ndarray, row_of: np.ndarray, h0: np.ndarray,
                       c0: np.ndarray, lengths: np.ndarray | None, parts: int):
    """out (T, N, H), h_n and c_n (L, N, H) of `stack` (an LSTM, one direction) over layer 0's
    input rows x0 (R, F), step t of sequence n reading row row_of[t, n], as `parts` threads;
    None where an array's dtype or layout does not fit (the caller then takes another path)."""
    dtype = x0.dtype
    weights = [[w if w is None else w.data for w in stack.layer_weights(layer, 0)]
               for layer in range(stack.num_layers)]
    arrays = [w for layer in weights for w in layer if w is not None]
    if any(w.dtype != dtype for w in arrays) or h0.dtype != dtype or c0.dtype != dtype:
        return None
    steps, batch = row_of.shape
    hidden = stack.hidden_size
    layers = stack.num_layers
    w_ih = tuple(np.ascontiguousarray(w_i) for w_i, _, _, _ in weights)
    w_hh = tuple(np.ascontiguousarray(w_h) for _, w_h, _, _ in weights)
    bias = tuple(np.zeros(4 * hidden, dtype) if b_i is None else b_i + b_h
                 for _, _, b_i, b_h in weights)
    lengths = (np.full(batch, steps, np.int64) if lengths is None
               else np.ascontiguousarray(lengths, np.int64))
    x0 = np.ascontiguousarray(x0)
    row_of = np.ascontiguousarray(row_of, np.int64)
    h0 = np.ascontiguousarray(h0)
    c0 = np.ascontiguousarray(c0)
    h_shared = empty((2, batch, hidden), dtype)
    # parts write their units side by side: every array starts on a cache line (`empty`)
    outs = empty((layers, steps, batch, hidden), dtype)
    h_n = empty((layers, batch, hidden), dtype)
    c_n = empty((layers, batch, hidden), dtype)

    def run_part(part: int, parts: int, flags: np.ndarray) -> None:
        lstm_units_stack_part(x0, row_of, w_ih, w_hh, bias, lengths, h0, c0, h_shared, outs,
                              h_n, c_n, part, parts, flags)

    with seqlab_computing():
        run_team(parts, run_part)
    return outs[-1], h_n, c_n
