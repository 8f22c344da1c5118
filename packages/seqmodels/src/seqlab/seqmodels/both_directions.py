"""Both directions of one bidirectional layer as one autograd Function (the fused graph path).

The two directions of a layer are independent until the next layer reads their outputs. Run
as two `RecurrentLayer` nodes, each direction took the whole thread count in turn (a team
split by hidden units or sequences, meeting every step, or one core where a team did not pay)
and their outputs were joined by a `cat` node, whose backward sliced the gradient back. Here
one node runs both: on exactly two threads (`directions_side_by_side`) each direction runs
whole on a thread of its own, no barrier between them, joined once per layer in forward and
once in backward; otherwise one after the other on this thread, each taking seqlab's threads
as before (on two threads, while a late second thread pauses side by side: in turn on this
thread alone, `run_both`). Each direction computes the same sums as its own node did on one
thread, so the bits at one thread are unchanged and two threads give the one-thread bits.
Each direction writes its half of the (T, N, 2H) output itself (no separate concatenation).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import numba
import numpy as np

from seqlab.autograd import Context, Function, Tensor
from seqlab.autograd.kernels.spin_barrier import MIN_SPIN_OUTS
from seqlab.autograd.threads import (
    TeamWatches,
    one_thread,
    run_team,
    seqlab_computing,
    threads_for,
)
from seqlab.autograd.workspace import empty
from seqlab.seqmodels import recurrent_ops as ops
from seqlab.seqmodels.cell_kinds import CellKind
from seqlab.seqmodels.fused import backward_may_run, saved_for_this_backward

# exactly this many threads: each direction whole on one; with more, each direction's own
# team (split by units or sequences) uses them all, which the side-by-side split cannot
SIDE_BY_SIDE_THREADS = 2


def directions_side_by_side() -> bool:
    """Whether a bidirectional layer runs its two directions at once, one a thread: with
    seqlab's threads exactly two (and jitted kernels: plain-Python loops hold the GIL)."""
    if numba.config.DISABLE_JIT:
        return False
    return threads_for(SIDE_BY_SIDE_THREADS + 1) == SIDE_BY_SIDE_THREADS


# The pool thread's task starting this long after the hand-over (or this thread returning
# this long after the last task ended) says a thread waited for a core (another process
# holds it): on free cores a woken thread runs within ~20-50 us. Side by side, the join then
# waits that long every call: at load 11 on 2 cores (AMD EPYC), LSTM H 128 batch
# 32 training steps took 2-3x the wall time of the two directions in turn.
LATE_START_SECONDS = 1e-3

# One `TeamWatch` per shape of work (`run_both`'s key): after side-by-side calls whose second
# thread started late, the next calls of that shape run the directions in turn for a while.
SIDE_BY_SIDE_WATCHES = TeamWatches()


def _late(started: float, handed_over: float) -> bool:
    return started - handed_over > LATE_START_SECONDS


def run_both(tasks: list[Callable[[], None]], key: tuple = ()) -> None:
    """Run the two directions' tasks: at once, one a thread, where `directions_side_by_side`
    (inside each, seqlab's work runs on that thread alone); else one after the other here.
    `key` names the shape of the work (seconds compare only between calls of one shape): where
    the last side-by-side calls of that shape found the second thread starting late
    (`LATE_START_SECONDS`, judged by a `TeamWatch`), the tasks run in turn on this thread
    alone (the same sums: the same bits), until the watch tries side by side again."""
    if not directions_side_by_side():
        for task in tasks:
            task()
        return
    watch = SIDE_BY_SIDE_WATCHES.watch(key)
    handed_over = time.perf_counter()
    if not watch.team_pays():
        with one_thread():
            for task in tasks:
                task()
        watch.record_alone(time.perf_counter() - handed_over)
        return
    starts, ends = [0.0] * len(tasks), [0.0] * len(tasks)

    def run_part(part: int, _parts: int, _flags) -> None:
        starts[part] = time.perf_counter()
        tasks[part]()
        ends[part] = time.perf_counter()

    run_team(len(tasks), run_part)
    joined = time.perf_counter()
    # late: the pool thread's start, or this thread's return after the last task ended (it
    # waited for the other and was woken); a late call counts as a contended one (`TeamWatch`
    # reads spin-outs out of meets)
    late = any(_late(started, handed_over) for started in starts[1:]) or _late(joined, max(ends))
    watch.record(MIN_SPIN_OUTS + 1 if late else 0, 1, joined - handed_over)


def _into_half(whole: np.ndarray, half: np.ndarray, direction: int) -> None:
    hidden = half.shape[2]
    whole[:, :, direction * hidden:(direction + 1) * hidden] = half


def _half(whole: np.ndarray | None, direction: int, hidden: int) -> np.ndarray | None:
    if whole is None:
        return None
    return whole[:, :, direction * hidden:(direction + 1) * hidden]


def _states(kind: CellKind, results: list) -> tuple:
    """The Function's state outputs from each direction's (h_n, c_n, saved): the h_n of both,
    then (LSTM) the c_n of both."""
    h_finals = tuple(result[0] for result in results)
    if kind.has_cell_state:
        return (*h_finals, *(result[1] for result in results))
    return h_finals


class BothDirectionsLayer(Function):
    """Both directions of one layer of any kind over x (T, N, F): outputs out (T, N, 2H),
    h_n forward, h_n reverse (and, for LSTM, c_n forward, c_n reverse)."""

    @staticmethod
    def forward(ctx: Context, x, h0_f, h0_r, c0_f, c0_r, w_ih_f, w_hh_f, b_ih_f, b_hh_f,
                w_ih_r, w_hh_r, b_ih_r, b_hh_r, kind, lengths):
        steps, batch = x.shape[:2]
        hidden = w_hh_f.shape[1]
        dtype = np.result_type(x, w_hh_f)
        out = empty((steps, batch, 2 * hidden), dtype)
        directions = ((h0_f, c0_f, w_ih_f, w_hh_f, b_ih_f, b_hh_f),
                      (h0_r, c0_r, w_ih_r, w_hh_r, b_ih_r, b_hh_r))
        results: list = [None, None]
        save = backward_may_run(ctx)

        def run(direction: int) -> None:
            h0, c0, w_ih, w_hh, b_ih, b_hh = directions[direction]
            half, h_n, c_n, saved = ops.layer_forward(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                      lengths, bool(direction), save=save)
            _into_half(out, half, direction)
            results[direction] = (h_n, c_n, saved)

        key = ("forward", kind.name, x.shape, hidden, x.dtype.str, save)
        with seqlab_computing():
            run_both([functools.partial(run, direction) for direction in (0, 1)], key)
        # the weights and inputs beside the tuple let backward's version check see an
        # optimizer step or other write into them since (as `RecurrentLayer`'s do)
        ctx.save_for_backward((results[0][2], results[1][2], hidden), w_ih_f, w_hh_f, w_ih_r,
                              w_hh_r, x, h0_f, h0_r, c0_f, c0_r)
        return (out, *_states(kind, results))

    @staticmethod
    def backward(ctx: Context, d_out, *d_states):
        (saved_f, saved_r, hidden), reuse = saved_for_this_backward(ctx)
        has_cell = len(d_states) == 4
        d_hn = d_states[:2]
        d_cn = d_states[2:] if has_cell else (None, None)
        need_dx = ctx.needs_input_grad[0]
        grads: list = [None, None]

        def run(direction: int) -> None:
            saved = (saved_f, saved_r)[direction]
            grads[direction] = ops.layer_backward(
                saved, _half(d_out, direction, hidden), d_hn[direction], d_cn[direction],
                need_input_grad=need_dx, reuse_saved=reuse)

        key = ("backward", saved_f.loop.mode, saved_f.x.shape, hidden, saved_f.x.dtype.str,
               need_dx)
        with seqlab_computing():
            run_both([functools.partial(run, direction) for direction in (0, 1)], key)
        (dx_f, dh0_f, dc0_f, dw_ih_f, dw_hh_f, db_ih_f, db_hh_f) = grads[0]
        (dx_r, dh0_r, dc0_r, dw_ih_r, dw_hh_r, db_ih_r, db_hh_r) = grads[1]
        dx = None
        if need_dx:  # the sum the engine formed of the two nodes' dx (addition commutes)
            dx = dx_f
            dx += dx_r
        needs = ctx.needs_input_grad
        return (dx, dh0_f, dh0_r, dc0_f, dc0_r, dw_ih_f, dw_hh_f,
                db_ih_f if needs[7] else None, db_hh_f if needs[8] else None,
                dw_ih_r, dw_hh_r, db_ih_r if needs[11] else None,
                db_hh_r if needs[12] else None, None, None)


def run_both_directions(kind: CellKind, x: Tensor, h0: tuple, c0: tuple, weights: tuple,
                        lengths: np.ndarray | None):
    """Both directions of one layer through `BothDirectionsLayer`: out (T, N, 2H), the h_n of
    the forward and of the reverse direction, and their c_n (Nones but for LSTM).
    `h0`, `c0` and `weights` hold each direction's (forward first)."""
    c0_f, c0_r = c0 if kind.has_cell_state else (None, None)
    outputs = BothDirectionsLayer.apply(x, h0[0], h0[1], c0_f, c0_r, *weights[0], *weights[1],
                                        kind, lengths)
    out, h_n = outputs[0], (outputs[1], outputs[2])
    return out, h_n, ((outputs[3], outputs[4]) if kind.has_cell_state else (None, None))

