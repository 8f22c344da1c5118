"""Both directions of one bidirectional layer as one autograd Function (the fused graph path).

The two directions of a layer are independent until the next layer reads their outputs. Run
as two `RecurrentLayer` nodes, each direction took the whole thread count in turn (a team
split by hidden units or sequences, meeting every step, or one core where a team did not pay)
and their outputs were joined by a `cat` node, whose backward sliced the gradient back. Here
one node runs both: on exactly two threads (`directions_side_by_side`) each direction runs
whole on a thread of its own, no barrier between them, joined once per layer in forward and
once in backward; otherwise one after the other on this thread, each taking seqlab's threads
as before. Either way each direction computes the same sums as its own node did on one
thread, so the bits at one thread are unchanged and two threads give the one-thread bits.
Each direction writes its half of the (T, N, 2H) output itself (no separate concatenation).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numba
import numpy as np

from seqlab.autograd import Context, Function, Tensor
from seqlab.autograd.threads import run_team, seqlab_computing, threads_for
from seqlab.autograd.workspace import empty
from seqlab.seqmodels import recurrent_ops as ops
from seqlab.seqmodels.cell_kinds import CellKind
from seqlab.seqmodels.fused import _backward_may_run, _saved_for_this_backward

# exactly this many threads: each direction whole on one; with more, each direction's own
# team (split by units or sequences) uses them all, which the side-by-side split cannot
SIDE_BY_SIDE_THREADS = 2


def directions_side_by_side() -> bool:
    """Whether a bidirectional layer runs its two directions at once, one a thread: with
    seqlab's threads exactly two (and jitted kernels: plain-Python loops hold the GIL)."""
    if numba.config.DISABLE_JIT:
        return False
    return threads_for(SIDE_BY_SIDE_THREADS + 1) == SIDE_BY_SIDE_THREADS


def run_both(tasks: list[Callable[[], None]]) -> None:
    """Run the two directions' tasks: at once, one a thread, where `directions_side_by_side`
    (inside each, seqlab's work runs on that thread alone); else one after the other here."""
    if directions_side_by_side():
        run_team(len(tasks), lambda part, _parts, _flags: tasks[part]())
        return
    for task in tasks:
        task()


def _into_half(whole: np.ndarray, half: np.ndarray, direction: int) -> None:
    hidden = half.shape[2]
    whole[:, :, direction * hidden:(direction + 1) * hidden] = half


def _half(whole: np.ndarray | None, direction: int, hidden: int) -> np.ndarray | None:
    if whole is None:
        return None
    return whole[:, :, direction * hidden:(direction + 1) * hidden]


def _states(kind: CellKind, results: list) -> tuple:
    """The Function's state outputs from each direction's (out, h_n, c_n, saved): the h_n of
    both, then (LSTM) the c_n of both."""
    h_finals = tuple(result[1] for result in results)
    if kind.has_cell_state:
        return (*h_finals, *(result[2] for result in results))
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
        save = _backward_may_run(ctx)

        def run(direction: int) -> None:
            h0, c0, w_ih, w_hh, b_ih, b_hh = directions[direction]
            half, h_n, c_n, saved = ops.layer_forward(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                      lengths, bool(direction), save=save)
            _into_half(out, half, direction)
            results[direction] = (None, h_n, c_n, saved)

        with seqlab_computing():
            run_both([functools.partial(run, direction) for direction in (0, 1)])
        ctx.save_for_backward((results[0][3], results[1][3], hidden))
        return (out, *_states(kind, results))

    @staticmethod
    def backward(ctx: Context, d_out, *d_states):
        (saved_f, saved_r, hidden), reuse = _saved_for_this_backward(ctx)
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

        with seqlab_computing():
            run_both([functools.partial(run, direction) for direction in (0, 1)])
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

