"""Every direction of one recurrent layer over packed input rows, the time loops run chunk by chunk.

The fused loops step every sequence of their batch through the longest one: the per-step
product `h @ W_hh^T` covers all N sequences even when most have ended. A random batch of G2P
pairs is half padding, so the loops here run over chunks of sequences of similar length
(`packing.Positions.chunks`, longest first), each only as many steps as its longest sequence.
Each chunk reads its own contiguous rows of the input projection, so its gradient is a slice
of the whole one; a per-symbol table (`shared_ids`) is read by every chunk and its gradients add.

Every (direction, chunk) loop is independent of the others, so with several threads they run
as whole jobs side by side, each loop on one thread (`loop_jobs`): no barrier per time step,
one hand-over per layer call instead of a thread team per chunk, and the two directions of a
bidirectional layer, whose chunks cost the same, split evenly over two threads. A layer with a
single loop (one direction, one chunk) runs it as a team over its hidden units instead.
"""

from __future__ import annotations

import functools

import numpy as np

from seqlab.autograd import Context, Function, Tensor, workspace
from seqlab.autograd.threads import seqlab_computing
from seqlab.seqmodels.cell_kinds import CellKind
from seqlab.seqmodels.seq2seq.loop_jobs import LoopJob, run_jobs
from seqlab.seqmodels.seq2seq.packing import CHUNK_COST, Positions

_PER_DIRECTION = 5  # table, h0, c0, w_hh, b_hh


class ChunkedLayers(Function):
    """Per direction d: input projection table_d (rows, G*H) -> out_d (T, N, H), h_n_d (N, H)
    [, c_n_d (N, H)]; direction d runs reversed when d is 1.

    Without `shared_ids`, chunk k reads table[start_k:stop_k] at its `ids`; with shared_ids
    (T, N) every chunk reads the whole table at its sequences' columns of them.
    """

    @staticmethod
    def forward(ctx: Context, kind: CellKind, positions: Positions, shared_ids, *arrays):
        save = any(ctx.needs_input_grad)
        directions = len(arrays) // _PER_DIRECTION
        single = _single(positions)
        jobs, results = [], []
        for direction in range(directions):
            table, h0, c0, w_hh, b_hh = arrays[direction * _PER_DIRECTION:
                                               (direction + 1) * _PER_DIRECTION]
            batch, hidden = h0.shape
            if single:
                result = [None, None, None]
            else:  # chunks fill their sequences' columns (memory reused: no page faults)
                out = workspace.empty((positions.steps, batch, hidden), table.dtype)
                out[...] = 0  # a chunk's loop writes its steps; the rest is padding
                c_n = None if c0 is None else np.empty((batch, hidden), table.dtype)
                result = [out, np.empty((batch, hidden), table.dtype), c_n]
            results.append(result)
            for chunk in positions.chunks:
                rows, ids = _chunk_input(table, chunk, shared_ids)
                members = chunk.sequences
                job = LoopJob(kind, rows, h0[members], None if c0 is None else c0[members],
                              w_hh, b_hh, chunk.lengths, bool(direction), ids, save,
                              cost=chunk.lengths.shape[0] * chunk.steps + CHUNK_COST)
                job.after = _placer(job, result, chunk, single)
                jobs.append(job)
        with seqlab_computing():
            run_jobs(jobs, lambda job: job.forward())
        # the jobs hold the loops' saved activations: the engine frees them after backward
        # unless the graph is retained. The arrays beside them (the jobs hold W_hh, b_hh and
        # rows of the others) let backward's version check see a write into them since
        ctx.save_for_backward(tuple(jobs), *arrays)
        ctx.positions, ctx.shared = positions, shared_ids is not None
        ctx.table_shapes = [arrays[d * _PER_DIRECTION].shape for d in range(directions)]
        outputs = []
        for out, h_n, c_n in results:
            outputs += [out, h_n] + ([c_n] if kind.has_cell_state else [])
        return tuple(outputs)

    @staticmethod
    def backward(ctx: Context, *grads):
        positions, jobs = ctx.positions, list(ctx.saved_tensors[0])
        per_direction = 3 if jobs[0].kind.has_cell_state else 2
        chunks = positions.chunks
        single = _single(positions)
        placed: list[list] = []  # per direction: d_table, dh0, dc0 (the jobs fill them)
        for direction, table_shape in enumerate(ctx.table_shapes):
            d_out, d_hn, *d_cn = grads[direction * per_direction:(direction + 1) * per_direction]
            direction_jobs = jobs[direction * len(chunks):(direction + 1) * len(chunks)]
            if single:
                job = direction_jobs[0]
                job.d_out, job.d_hn, job.d_cn = d_out, d_hn, d_cn[0] if d_cn else None
                continue
            # each job slices its gradients and writes its rows of the direction's in its
            # own thread (memory reused: no page faults)
            d_table = workspace.empty(table_shape, d_out.dtype)
            if ctx.shared:
                d_table[...] = 0  # the chunks' tables add up below
            dh0 = np.empty(d_hn.shape, d_hn.dtype)
            dc0 = np.empty_like(dh0) if d_cn else None
            for job, chunk in zip(direction_jobs, chunks):
                members = chunk.sequences
                job.d_out = functools.partial(_rows, d_out, chunk.steps, members)
                job.d_hn = functools.partial(_rows, d_hn, None, members)
                job.d_cn = functools.partial(_rows, d_cn[0], None, members) if d_cn else None
                job.after_backward = _grad_placer(chunk, d_table, dh0, dc0, ctx.shared)
            placed.append([d_table, dh0, dc0])
        with seqlab_computing():
            run_jobs(jobs, lambda job: job.backward())
        input_grads: list = [None, None, None]  # kind, positions, shared_ids
        if single:
            for job in jobs:
                input_grads += list(job.grads)
            return tuple(input_grads)
        for direction, (d_table, dh0, dc0) in enumerate(placed):
            direction_jobs = jobs[direction * len(chunks):(direction + 1) * len(chunks)]
            if ctx.shared:
                for job in direction_jobs:
                    d_table += job.grads[0]
            # each chunk's weight gradients are new arrays of its own: add in place
            dw_hh, db_hh = direction_jobs[0].grads[3:]
            for job in direction_jobs[1:]:
                dw_hh += job.grads[3]
                if db_hh is not None:
                    db_hh += job.grads[4]
            input_grads += [d_table, dh0, dc0, dw_hh, db_hh]
        return tuple(input_grads)


def _placer(job: LoopJob, result: list, chunk, single: bool):
    """What a job does with its outputs in its own thread: the chunk's columns of the
    direction's (out, h_n, c_n), or the whole of them for a single in-order chunk."""
    members = chunk.sequences

    def place(out, h_n, c_n) -> None:
        if single:
            result[:] = [out, h_n, c_n]
            return
        result[0][:chunk.steps, members] = out
        result[1][members] = h_n
        if result[2] is not None:
            result[2][members] = c_n
    return place


def _rows(grad: np.ndarray, steps: int | None, members) -> np.ndarray:
    """A chunk's part of a layer's gradient: its sequences' columns (of the first `steps`)."""
    return grad[members] if steps is None else grad[:steps, members]


def _grad_placer(chunk, d_table: np.ndarray, dh0: np.ndarray, dc0: np.ndarray | None,
                 shared: bool):
    """What a job does with its gradients in its own thread: its rows of the direction's
    table gradient (a shared table's add up after the jobs), dh0 and dc0."""
    members = chunk.sequences

    def place(chunk_table, chunk_h0, chunk_c0, dw_hh, db_hh) -> None:
        if not shared:
            d_table[chunk.start:chunk.stop] = chunk_table
        dh0[members] = chunk_h0
        if dc0 is not None:
            dc0[members] = chunk_c0
    return place


def _single(positions: Positions) -> bool:
    """Whether one loop over the whole batch in order gives the layer's outputs as they are."""
    chunks = positions.chunks
    return len(chunks) == 1 and chunks[0].steps == positions.steps and \
        isinstance(chunks[0].sequences, slice)


def _chunk_input(table: np.ndarray, chunk, shared_ids: np.ndarray | None):
    """(the rows a chunk's loop reads, its ids into them)."""
    if shared_ids is None:
        return table[chunk.start:chunk.stop], chunk.ids
    return table, np.ascontiguousarray(shared_ids[:chunk.steps, chunk.sequences])


def run_chunked(kind: CellKind, tables: list[Tensor], h0s: list[Tensor],
                c0s: list[Tensor | None], weights: list[tuple[Tensor, Tensor | None]],
                positions: Positions, shared_ids: np.ndarray | None = None
                ) -> list[tuple[Tensor, Tensor, Tensor | None]]:
    """Every direction of one layer (the second runs reversed) over input projections of packed
    rows (or per-symbol tables read at `shared_ids` (T, N)); weights[d] is (w_hh, b_hh).
    Returns (out (T, N, H), h_n, c_n or None) per direction."""
    arrays: list = []
    for table, h0, c0, (w_hh, b_hh) in zip(tables, h0s, c0s, weights):
        arrays += [table, h0, c0 if kind.has_cell_state else None, w_hh,
                   b_hh if kind.hh_bias_in_loop else None]
    outputs = ChunkedLayers.apply(kind, positions, shared_ids, *arrays)
    per_direction = 3 if kind.has_cell_state else 2
    return [(*outputs[d:d + per_direction], *([None] if per_direction == 2 else []))
            for d in range(0, len(outputs), per_direction)]
