"""A no-grad recurrent stack at a small batch on several threads: every layer as one team split
by hidden units (`kernels.recurrent_units_stack`), each thread keeping its own rows of each
W_hh hot in its own core's cache.

At batch 1 the batch split (`recurrent_inference.batch_parts`) has nothing to split; the
per-layer LSTM team of `recurrent_loops` called BLAS every step from both threads at once (no
faster than one thread) and GRU and RNN loops ran on one thread. Here one team runs the whole
stack: each part projects its own gate rows of every layer's input and runs its units' steps
with its own GEMV, meeting the other parts once a step.
"""

from __future__ import annotations

import os
import threading
import time

import numba
import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.kernels.panel_gemm import MIN_BATCH
from seqlab.autograd.kernels.recurrent_units_stack import PARTNER_TAKEN, units_stack_part
from seqlab.autograd.threads import TeamWatch, TeamWatches, run_team, seqlab_computing, team_size
from seqlab.autograd.workspace import empty
from seqlab.seqmodels.cell_kinds import CellKind
from seqlab.seqmodels.kept_tables import (
    change_watch,
    forget_rooms,
    kept_one,
    kept_room,
    renew_ones,
    same_bits,
)

# A team pays from this many multiply-adds of W_hh per sequence and step (G * H * H: LSTM from
# H = 91, GRU from 105, RNN from 182). CPU time of one part of two run alone (its partner's
# barrier passed; the critical path without waits) against the old path's whole forward on one
# thread, 2 layers, batch 1 x 64, AMD EPYC Zen 4 under load: LSTM H = 128 370 vs 797 us, 256
# 1418 vs 2923, 512 6.5 vs 34 ms; GRU 128 287 vs 774, 256 1013 vs 2498; RNN 256 360 vs 822.
# Below it (LSTM 64: 127 vs 341 us, RNN 128: 101 vs 266) the 128 barriers and the team's start
# (~0.5 us and ~30 us quiet, far more on a loaded machine) would take most of the gain.
MIN_TEAM_MACS = 1 << 15
# ... and from this many layer-steps a call: the team's start (~30 us quiet) costs about what
# two or three layer-steps save at the smallest sizes above, so a step-by-step caller (a decoder
# fed one step at a time under no_grad) keeps the one-thread path.
MIN_TEAM_LAYER_STEPS = 4
# ... and from this many multiply-adds a layer-step on average (the batch times each layer's
# input and recurrent products, (width + H) * G * H, over the layers): below it the team's fixed
# cost (its start and join ~30 us, the partner's late start ~30-50 us, then a meet every
# layer-step, ~1-2 us with the halves of h crossing cores) takes what the second core saves,
# and the one-thread path (`one_thread`: an LSTM layer over few inputs stacked over kept
# panels, the rest layer by layer) is as fast or faster. Part 0's critical path alone (its
# partner's meets passed beforehand: no waits, no late start) against the one-thread path,
# batch 1 x 64, CPU us, AMD EPYC Zen 4 under load: LSTM(40, 128) 258 vs 310 (86k MACs; the
# team ran at 109-142k elements/s on the quiet machine against one thread's 199k), LSTM(40, 96)
# 183 vs 222, LSTM(40, 192) 501 vs 627 (178k), LSTM(40, 128) at batch 2 421 vs 533 (172k),
# LSTM(128, 128) 289 vs 496 (131k), 2 x LSTM(40, 128) 542 vs 805 (108k), GRU(40, 128) 191 vs
# 291, RNN(40, 256) 211 vs 289: the ~100 us and 1-2 us a meet (estimated) take those. From
# here the team wins: GRU(40, 256) 431 vs 899 (227k), LSTM(40, 256) 713 vs 1083 (303k),
# RNN(40, 512) 504 vs 1162, 2 x LSTM(256, 256) 1820 vs 3376 (524k: W_hh fills a core's L2).
MIN_TEAM_LAYER_STEP_MACS = 3 << 16
# The team's calls so far, one watch per shape (`units_team_watch`): after a call whose meets
# mostly spun out (another process holds a core, and the parts take turns on one), the next
# calls of that shape run as one part for a while (`TeamWatch`); `run_layers` asks `team_pays`
# before it starts the team.
UNITS_TEAM_WATCHES = TeamWatches()
# How long part 0 of a 2-part team waits at its first meet for part 1 to start before it runs
# the call alone (`units_stack_part`'s `partner_wait`, time-stamp counter ticks: ~200 us at
# 2.6 GHz). On free cores part 1 starts 12-50 us after part 0 (its pool thread's wake-up and
# the GIL); with a core taken, 3 ms at the 90th percentile (AMD EPYC, 2 vCPUs, load 5-8),
# while the team saves ~1 ms of a 2.6 ms LSTM 256 x 2 call at batch 1 x 64: a partner later
# than this most likely comes far later, and one part alone loses at most the wait.
PARTNER_WAIT_TICKS = 1 << 19
_LOCKS_GUARD = threading.Lock()  # one table lock made per stack, whoever asks first


def units_team_watch(stack, batch: int, dtype) -> TeamWatch:
    """The `TeamWatch` of `stack`'s calls at `batch` in `dtype`: seconds a layer-step compare
    only between calls of one kind, hidden size, depth, batch and dtype."""
    key = (stack.kind.name, stack.hidden_size, stack.num_layers, batch, np.dtype(dtype).str)
    return UNITS_TEAM_WATCHES.watch(key)


def units_team_parts(kind: CellKind, batch: int, hidden: int, directions: int,
                     layer_steps: int = MIN_TEAM_LAYER_STEPS) -> int:
    """How many parts `units_team_forward` runs a stack as; 1: it does not (the other paths
    serve it). One direction, a batch below the panels' (`MIN_BATCH`: from there the LSTM's
    per-layer loops run on packed panels), `MIN_TEAM_MACS` per step, `MIN_TEAM_LAYER_STEPS`
    layers times steps in the call, as many parts as a time loop over `hidden` units gets
    (`team_size`)."""
    if numba.config.DISABLE_JIT or directions != 1 or batch >= MIN_BATCH:
        return 1
    if kind.gates * hidden * hidden < MIN_TEAM_MACS or layer_steps < MIN_TEAM_LAYER_STEPS:
        return 1
    return team_size(hidden)


def units_team_work_pays(kind: CellKind, batch: int, features: int, hidden: int,
                         layers: int, reads_table: bool = False) -> bool:
    """Whether a unit team's call of a stack (layer 0 over `features` inputs) has work enough a
    layer-step to pay for its fixed cost (`MIN_TEAM_LAYER_STEP_MACS`); where it has not, a call
    `units_team_parts` gives a team runs the one-thread path instead. Shapes only.
    `reads_table`: layer 0 reads its input projection from an embedding's table (its rows
    projected before the loop, or kept across calls: `recurrent_inference.keeps_whole_table`),
    so neither path multiplies layer 0's input a step: only its recurrent product counts.
    (Counted, the char LM's Embedding(65, 256) -> 2 x LSTM(256) read 524k a layer-step where
    it has 393k, and an Embedding-fed LSTM(192) 295k where it has 147k: there part 0 alone
    saved 242 CPU us of 662 a 64-step call, about the team's fixed cost.) Whether a table is
    kept depends on the calls before (`kept_tables.ChangeWatch`), so it is not asked here:
    the same input takes the same path, and gives the same bits, whatever those calls were."""
    widths = [0 if reads_table else features] + [hidden] * (layers - 1)
    macs = batch * sum((width + hidden) * kind.gates * hidden for width in widths)
    return macs >= MIN_TEAM_LAYER_STEP_MACS * layers


def _plain(array: np.ndarray) -> np.ndarray:
    """array as the kernel's tuples need it: C order, aligned and writeable (one Numba type for
    every layer: a read-only or strided weight among them would not type), copied if not (onto
    a 64-byte line, as a Parameter's own array: `seqlab.autograd.aligned`).
    (The flags first: `np.require` alone took ~1 us an array, 10 arrays a call.)"""
    flags = array.flags
    if flags.c_contiguous and flags.aligned and flags.writeable:
        return array
    return aligned.copy(array)


def _table0(stack, x0: np.ndarray, w_ih: np.ndarray, parts: int, split: int) -> list:
    """[table0, kept_x, kept_w, kept_b, filled] as `units_stack_part` takes them: the room for
    layer 0's projection of every row of x0 in the parts' layout and the copies each part
    checks its block by (`kept_tables.kept_room`: the parts check the bits, not this). One
    per `parts` and `split` (layout and bits depend on both) and shape."""
    rows, features = x0.shape
    dtype = x0.dtype

    def make() -> list:
        return [np.empty(rows * w_ih.shape[0], dtype), np.empty((parts, rows, features), dtype),
                np.empty(w_ih.shape, dtype), np.empty(w_ih.shape[0], dtype), False]

    return kept_room(stack, ("units0", parts, split, x0.shape, w_ih.shape, dtype.str), make)


def _changed(table0: list, x0: np.ndarray, w_ih: np.ndarray, bias: np.ndarray) -> bool:
    """Whether layer 0's sources seem to have changed since the table's last call, for the
    `ChangeWatch` only (the parts check every bit themselves): x0 and the bias whole, every
    97th element of W_ih (an optimizer step moves them all)."""
    if not table0[4]:
        return True
    _, kept_x, kept_w, kept_b, _ = table0
    return not (same_bits(bias, kept_b) and all(same_bits(x0, seen) for seen in kept_x)
                and same_bits(w_ih.reshape(-1)[::97], kept_w.reshape(-1)[::97]))


def units_team_forward(stack, x0: np.ndarray, row_of: np.ndarray, h0: np.ndarray,
                       c0: np.ndarray | None, lengths: np.ndarray | None, parts: int,
                       split: int | None = None, keep_table: bool = False):
    """out (T, N, H), h_n and c_n (L, N, H; c_n None but for LSTM) of `stack` (one direction)
    over layer 0's input rows x0 (R, F), step t of sequence n reading row row_of[t, n], as
    `parts` threads; None where an array's dtype does not fit (the caller takes another path).
    `split` (default `parts`): the team whose bits to give; `parts` 1 with `split` a team's
    size gives that team's bits exactly (its input projections as the team's GEMMs, the steps
    the same loops over every unit), so a caller runs it so while the team is paused
    (`units_team_watch`) and the outputs do not depend on the machine's load. A team's call is
    recorded in that watch. `keep_table`: x0 is an embedding's whole table, whose layer-0
    projection the parts keep across calls, each checking its block's sources (`_table0`)."""
    split = parts if split is None else split
    dtype = x0.dtype
    kind = stack.kind
    weights = [[w if w is None else w.data for w in stack.layer_weights(layer, 0)]
               for layer in range(stack.num_layers)]
    states = [h0] if c0 is None else [h0, c0]
    if any(w.dtype != dtype for layer in weights for w in layer if w is not None) or any(
            state.dtype != dtype for state in states):
        return None
    steps, batch = row_of.shape
    hidden = stack.hidden_size
    gate_rows = kind.gates * hidden
    zeros = np.zeros(gate_rows, dtype)
    bias, hh_bias = [], []
    for _, _, b_ih, b_hh in weights:
        if b_ih is None:
            bias.append(zeros)
            hh_bias.append(zeros)
        elif kind.hh_bias_in_loop:  # GRU: b_hr and b_hz join the projection, b_hn stays
            bias.append(b_ih + np.concatenate([b_hh[:2 * hidden], zeros[2 * hidden:]]))
            hh_bias.append(_plain(b_hh))
        else:
            bias.append(b_ih + b_hh)
            hh_bias.append(zeros)
    lengths = (np.full(batch, steps, np.int64) if lengths is None
               else np.require(lengths, np.int64, "CAW"))
    x0 = _plain(x0)
    row_of = np.require(row_of, np.int64, "CAW")
    h0 = _plain(h0)
    c0 = np.empty((0, 0, 0), dtype) if c0 is None else _plain(c0)
    lock = _table_lock(stack) if keep_table else None
    if lock is not None and not lock.acquire(blocking=False):
        # another caller's team is filling or reading the kept table: this call projects its
        # rows itself (the same products, so the same bits)
        keep_table, lock = False, None
    try:
        return _run_team(stack, kind, weights, bias, hh_bias, x0, row_of, lengths, h0, c0,
                         parts, split, keep_table)
    finally:
        if lock is not None:
            lock.release()


def _table_lock(stack) -> threading.Lock:
    """The lock one caller at a time holds while its team uses `stack`'s kept table (two
    Python threads calling one model at once would otherwise fill and read one table)."""
    with _LOCKS_GUARD:
        return kept_one(stack, ("units0 lock",), threading.Lock)  # (never evicted)


def _fresh_locks_in_child() -> None:
    """A forked child's table locks are free (a parent thread inside a call held them: it does
    not exist in the child, which waited for ever on `_LOCKS_GUARD` and never used a table
    whose lock was held); a table whose lock was held may be half filled: it is dropped."""
    global _LOCKS_GUARD
    _LOCKS_GUARD = threading.Lock()
    for stack, old in renew_ones(("units0 lock",), threading.Lock):
        if old.locked():
            forget_rooms(stack, "units0")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_locks_in_child)


def _run_team(stack, kind, weights, bias, hh_bias, x0, row_of, lengths, h0, c0, parts: int,
              split: int, keep_table: bool):
    """`units_team_forward`'s team call, its arguments prepared."""
    dtype = x0.dtype
    steps, batch = row_of.shape
    hidden = stack.hidden_size
    layers = stack.num_layers
    # parts write their units side by side: every array starts on a cache line (`empty`)
    h_shared = empty((2, batch, hidden), dtype)
    outs = empty((layers, steps, batch, hidden), dtype)
    h_n = empty((layers, batch, hidden), dtype)
    c_n = empty((layers, batch, hidden) if kind.has_cell_state else (0, 0, 0), dtype)
    table0 = (_table0(stack, x0, weights[0][0], parts, split) if keep_table
              else [np.empty(0, dtype), np.empty((0, 0, 0), dtype), np.empty((0, 0), dtype),
                    np.empty(0, dtype), False])
    arguments = (kind.generation_code, x0, row_of,
                 tuple(_plain(w[0]) for w in weights),
                 tuple(_plain(w[1]) for w in weights),  # (Parameters: on a line, `aligned`)
                 tuple(_plain(b) for b in bias), tuple(hh_bias), lengths, h0, c0, h_shared,
                 outs, h_n, c_n)
    if keep_table:
        change_watch(stack).record(_changed(table0, x0, weights[0][0], arguments[5][0]))
    kept = tuple(table0[:4])
    ready = table0[4]
    taken = []  # [True] where part 0 took its partner's share and ran the call alone

    def run_part(part: int, parts: int, flags: np.ndarray) -> None:
        answer = units_stack_part(*arguments, part, parts, flags, split, *kept, ready,
                                  PARTNER_WAIT_TICKS)
        if answer == PARTNER_TAKEN and part == 0:  # part 1 did not start in time
            taken.append(True)
            _run_alone(stack, arguments, flags, split, keep_table)

    with seqlab_computing():
        started = time.perf_counter()
        spun_out, met = run_team(parts, run_part, partner_may_be_taken=True)
        seconds = (time.perf_counter() - started) / max(steps * layers, 1)
    if not taken:  # (every part filled its block: run_team returned without an exception)
        table0[4] = True
        if parts > 1:
            units_team_watch(stack, batch, dtype).record(spun_out, met, seconds)
    out = outs[-1] if layers == 1 else outs[-1].copy()  # not a view keeping every layer's
    return out, h_n, (c_n if kind.has_cell_state else None)


def _run_alone(stack, arguments: tuple, flags: np.ndarray, split: int,
               keep_table: bool) -> None:
    """The team's call as one part on this thread, as a team of `split` gives it (the same
    bits), where part 0 of the team took its partner's share (`PARTNER_TAKEN`); with its own
    kept table (one per parts and split)."""
    x0, w_ih = arguments[1], arguments[3][0]
    dtype = x0.dtype
    table0 = (_table0(stack, x0, w_ih, 1, split) if keep_table
              else [np.empty(0, dtype), np.empty((0, 0, 0), dtype), np.empty((0, 0), dtype),
                    np.empty(0, dtype), False])
    units_stack_part(*arguments, 0, 1, flags, split, *table0[:4], table0[4])
    table0[4] = True
