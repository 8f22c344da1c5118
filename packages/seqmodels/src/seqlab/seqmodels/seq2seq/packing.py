"""The valid positions of a padded batch, and the two layout changes teacher forcing needs.

A batch of G2P pairs is about half padding on each side. The recurrent loops must still step
through the longest sequence, but nothing else has to touch a padded position: the input
projections of the upper layers, the attention's output layer, the output layer and the loss
run over the M valid rows only (`gather_rows`), and a loop reads its input projection as a
table of those M rows (`Positions.rows`). PyTorch's `pack_padded_sequence` does the same for
its encoder; here the decoder's non-recurrent work is packed as well.

Rows are in time-major order: row r is position (t, n) of the r-th True of the (T, N) mask,
so a time-major array (T, N, F) gives row r at flat index `time_major[r]` = t * N + n and a
batch-first one (N, T, F) at `batch_first[r]` = n * T + t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqlab.autograd import Context, Function, Tensor, workspace

# A chunk of sequences runs the time loop only as many steps as its longest one; the loop's cost
# is about proportional to sequences x steps from 16 sequences up (AMD EPYC, H = 128 and 256:
# the same time per sequence-step at 16 as at 64; 15-30% more at 8), and each extra chunk costs
# about as much as this many sequence-steps in calls and copies
MIN_CHUNK = 16
CHUNK_COST = 24


@dataclass(frozen=True)
class Chunk:
    """Sequences that run one time loop together: `sequences` (an index array into the batch,
    longest first, or slice(None) for the whole batch in order), their lengths, and `ids`
    (steps, count): each valid position's row counted from `start`, the chunk's first row."""

    sequences: np.ndarray | slice
    lengths: np.ndarray
    ids: np.ndarray
    start: int
    stop: int

    @property
    def steps(self) -> int:
        """The chunk's longest length: how many steps its loop runs."""
        return int(self.ids.shape[0])


def chunk_count(sorted_lengths: np.ndarray) -> int:
    """How many equal chunks (1, 2, 4, ...: at least MIN_CHUNK sequences each) of lengths
    sorted longest first cost the least sequence-steps, CHUNK_COST counted per chunk."""
    batch = sorted_lengths.shape[0]
    best, best_cost = 1, batch * int(sorted_lengths[0]) if batch else 0
    chunks = 2
    while batch // chunks >= MIN_CHUNK:
        starts = [batch * k // chunks for k in range(chunks + 1)]
        cost = sum((starts[k + 1] - starts[k]) * int(sorted_lengths[starts[k]])
                   for k in range(chunks)) + CHUNK_COST * (chunks - 1)
        if cost < best_cost:
            best, best_cost = chunks, cost
        chunks *= 2
    return best


@dataclass(frozen=True)
class Positions:
    """The valid (time, sequence) positions of a batch whose sequence n has lengths[n] steps,
    numbered chunk by chunk (`chunks`), within a chunk in time-major order."""

    lengths: np.ndarray  # (N,) int64 in [1, steps]
    steps: int  # T, the padded length
    time_major: np.ndarray  # (M,) flat index t * N + n of each valid position
    batch_first: np.ndarray  # (M,) flat index n * T + t of the same positions
    rows: np.ndarray  # (T, N) int64: the row of each valid position (0 at padding)
    chunks: tuple[Chunk, ...]  # the time loops' sequences; their rows are contiguous

    @classmethod
    def of(cls, lengths: np.ndarray, steps: int, chunked: bool = True) -> Positions:
        """The positions of sequences with these lengths, padded to `steps`; with `chunked`,
        the sequences sorted by length go to the loops in `chunk_count` chunks."""
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        batch = lengths.shape[0]
        order = np.argsort(-lengths, kind="stable")
        count = chunk_count(lengths[order]) if chunked else 1
        if count == 1:
            groups: list[np.ndarray | slice] = [slice(None)]
        else:
            bounds = [batch * k // count for k in range(count + 1)]
            groups = [order[bounds[k]:bounds[k + 1]] for k in range(count)]
        rows = np.zeros((steps, batch), dtype=np.int64)
        time_major, batch_first, chunks = [], [], []
        start = 0
        for group in groups:
            group_lengths = lengths[group]
            group_steps = int(group_lengths.max())
            valid = np.arange(group_steps)[:, None] < group_lengths[None, :]
            times, members = np.nonzero(valid)  # row-major: time-major within the chunk
            sequences = members if isinstance(group, slice) else group[members]
            stop = start + times.shape[0]
            ids = np.zeros(valid.shape, dtype=np.int64)
            ids[times, members] = np.arange(stop - start)
            rows[times, sequences] = ids[times, members] + start
            time_major.append(times * batch + sequences)
            batch_first.append(sequences * steps + times)
            chunks.append(Chunk(group, group_lengths, ids, start, stop))
            start = stop
        return cls(lengths, steps, np.concatenate(time_major), np.concatenate(batch_first), rows,
                   tuple(chunks))

    @property
    def count(self) -> int:
        """M, the number of valid positions."""
        return int(self.time_major.shape[0])


class GatherRows(Function):
    """Rows of several arrays side by side: out[r] = [a_1.rows[index_1[r]], a_2.rows[...], ..]
    where a_k.rows is a_k seen as (-1, F_k). Every index is free of repeats, so the backward
    writes each gradient row once (zeros elsewhere) instead of adding."""

    @staticmethod
    def forward(ctx: Context, indices: tuple, *arrays: np.ndarray) -> np.ndarray:
        widths = [array.shape[-1] for array in arrays]
        # (memory reused from the step before: no page faults)
        out = workspace.empty((indices[0].shape[0], sum(widths)), arrays[0].dtype)
        start = 0
        for array, index, width in zip(arrays, indices, widths):
            out[:, start:start + width] = array.reshape(-1, width)[index]
            start += width
        ctx.indices, ctx.widths = indices, widths
        ctx.shapes = [array.shape for array in arrays]
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        grads = []
        start = 0
        for index, width, shape, needed in zip(ctx.indices, ctx.widths, ctx.shapes,
                                               ctx.needs_input_grad[1:]):
            if needed:
                full = workspace.empty((math.prod(shape[:-1]), width), grad.dtype)
                full[...] = 0
                full[index] = grad[:, start:start + width]
                grads.append(full.reshape(shape))
            else:
                grads.append(None)
            start += width
        return (None, *grads)


def gather_rows(arrays: list[Tensor], indices: list[np.ndarray]) -> Tensor:
    """(M, sum of F_k): the rows `indices[k]` of each arrays[k] (seen as (-1, F_k)), side by
    side; each index must hold no repeats."""
    return GatherRows.apply(tuple(indices), *arrays)


class BatchFirstJoin(Function):
    """Time-major arrays (T, N, F_k) side by side as one batch-first (N, T, sum of F_k)."""

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray) -> np.ndarray:
        steps, batch = arrays[0].shape[:2]
        widths = [array.shape[2] for array in arrays]
        out = workspace.empty((batch, steps, sum(widths)), arrays[0].dtype)
        start = 0
        for array, width in zip(arrays, widths):
            out[:, :, start:start + width] = array.transpose(1, 0, 2)
            start += width
        ctx.widths = widths
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        grads = []
        start = 0
        for width in ctx.widths:
            grads.append(np.ascontiguousarray(grad[:, :, start:start + width].transpose(1, 0, 2)))
            start += width
        return tuple(grads)


def batch_first_join(arrays: list[Tensor]) -> Tensor:
    """(N, T, sum of F_k) from time-major (T, N, F_k) arrays: the encoder's directions joined
    into the attention's memory in one pass."""
    return BatchFirstJoin.apply(*arrays)
