"""Independent recurrent time loops run side by side, one loop per thread.

The chunks and directions of a packed layer (`chunked_layer`) are loops that share nothing but
read-only weights. Running each as a team over its hidden units meets at a barrier every time
step and starts a team per loop (48 a training step of the benchmark model); at a chunk of 16
sequences a step's product is ~5-40 us, so the barrier and the hand-overs are a large share,
and on a loaded machine a descheduled part stalls its partner every step. Here the loops are
jobs handed out whole, longest first to the least loaded thread (LPT), so threads meet once per
layer call. A lone loop keeps the team (`threads.team_size`): there nothing else could fill
the other threads.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

from seqlab.autograd.threads import run_team, team_size, threads_for
from seqlab.seqmodels import recurrent_loops as loops
from seqlab.seqmodels.cell_kinds import CellKind


class LoopJob:
    """One time loop: its inputs, what it saves for backward, and its gradients once run.

    `forward()` runs the loop and calls `after(out, h_n, c_n)` (None unless set) in the same
    thread; `backward()` reads `d_out`, `d_hn`, `d_cn` (set by the caller; each may be a
    callable that gives it, so that slicing it out of a larger array happens in the job's
    thread), leaves (d_xg or the table's gradient, dh0, dc0, dw_hh, db_hh) in `grads` and
    calls `after_backward(*grads)` (None unless set) in the same thread.
    """

    def __init__(self, kind: CellKind, xg: np.ndarray, h0: np.ndarray, c0: np.ndarray | None,
                 w_hh: np.ndarray, b_hh: np.ndarray | None, lengths: np.ndarray, reverse: bool,
                 ids: np.ndarray | None, save: bool, cost: float) -> None:
        self.kind, self.xg, self.w_hh, self.b_hh = kind, xg, w_hh, b_hh
        self.h0 = np.ascontiguousarray(h0, dtype=xg.dtype)
        self.c0 = None if c0 is None else np.ascontiguousarray(c0, dtype=xg.dtype)
        self.lengths, self.reverse, self.ids, self.save = lengths, reverse, ids, save
        self.table_rows = xg.shape[0] if ids is not None else 0  # (the rows ids read)
        self.cost = cost
        self.parts = 1  # threads of the loop's own team (run_jobs sets it)
        self.after: Callable | None = None
        self.after_backward: Callable | None = None
        self.activations = None
        self.d_out = self.d_hn = self.d_cn = None
        self.grads: tuple = ()

    def forward(self) -> None:
        """Run the loop; its outputs go to `after`."""
        kind, xg = self.kind, self.xg
        if kind.loop_forward is loops.lstm_loop_forward:  # a team loop: choose its size
            out, h_n, c_n, *activations = loops.lstm_team_forward(
                xg, self.h0, self.c0, self.w_hh, self.lengths, self.reverse, self.parts,
                self.ids, self.save)
            self.activations = tuple(activations) if self.save else None
        else:
            out, h_n, c_n, self.activations = kind.loop_forward(
                xg, self.h0, self.c0, self.w_hh, self.b_hh, self.lengths, self.reverse,
                self.ids, self.save)
        self.xg = self.h0 = self.c0 = None  # the loop keeps what its backward needs
        if self.after is not None:
            self.after(out, h_n, c_n)

    def backward(self) -> None:
        """The loop's gradients into `grads` from d_out, d_hn, d_cn."""
        kind = self.kind
        dtype = self.activations[0].dtype
        steps, batch = self.activations[0].shape[:2]
        hidden = self.w_hh.shape[1]
        d_out = _contiguous_or_zeros(self.d_out, (steps, batch, hidden), dtype)
        d_hn = _contiguous_or_zeros(self.d_hn, (batch, hidden), dtype)
        d_cn = _contiguous_or_zeros(self.d_cn, (batch, hidden), dtype) \
            if kind.has_cell_state else None
        self.d_out = self.d_hn = self.d_cn = None
        if kind.loop_backward is loops.lstm_loop_backward:
            d_xg, dh0, dc0, dw_hh, d_table = loops.lstm_team_backward(
                self.activations, self.w_hh, self.lengths, self.reverse, d_out, d_hn, d_cn,
                self.parts, self.ids, self.table_rows)
            self.grads = (d_xg if d_table is None else d_table), dh0, dc0, dw_hh, None
        else:
            self.grads = kind.loop_backward(self.activations, self.w_hh, self.lengths,
                                            self.reverse, self.ids, self.table_rows, d_out,
                                            d_hn, d_cn)
        if self.after_backward is not None:
            self.after_backward(*self.grads)


def _contiguous_or_zeros(grad, shape, dtype):
    if callable(grad):
        grad = grad()
    if grad is None:
        return np.zeros(shape, dtype)
    return np.ascontiguousarray(grad, dtype=dtype)


def assign(costs: list[float], workers: int) -> list[list[int]]:
    """Job indices per worker: longest first, each to the least loaded worker so far."""
    loads = [0.0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    for index in sorted(range(len(costs)), key=lambda i: -costs[i]):
        worker = loads.index(min(loads))
        loads[worker] += costs[index]
        shares[worker].append(index)
    return shares


def job_threads(count: int) -> int:
    """How many threads `count` independent loops run on."""
    if numba.config.DISABLE_JIT:
        return 1  # (plain-Python loops would only take turns at the GIL)
    return threads_for(count)


def run_jobs(jobs: list[LoopJob], call: Callable[[LoopJob], None]) -> None:
    """call(job) for every job: alone, as its loop's team; else spread over the threads, each
    job's loop on one thread (same shares forward and backward: the costs do not change)."""
    workers = job_threads(len(jobs))
    if workers == 1:
        for job in jobs:
            job.parts = team_size(job.w_hh.shape[1]) if len(jobs) == 1 else 1
            call(job)
        return
    shares = assign([job.cost for job in jobs], workers)

    def run_share(worker: int, parts: int, flags) -> None:
        for index in shares[worker]:
            jobs[index].parts = 1
            call(jobs[index])

    run_team(workers, run_share)

