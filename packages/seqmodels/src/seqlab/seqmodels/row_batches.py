"""`RowBatches`: `ExampleBatches`' shuffled minibatches over ragged token rows kept flat.

The classifier's data without a padded (examples, longest) matrix: the ids of every row lie
end to end in one array (a read-only memory map of an id cache, in its narrow dtype) with
int64 row offsets, and a batch is padded to its own longest row only. The batches are those of
`ExampleBatches((padded ids, lengths, labels), ...)` over the same rows and seed, after the
classifier's trimming to the batch's longest row: the same generator draws the same
permutation each epoch, and `state_dict()` / `checksum` are the same too (the checksum is
computed block by block over the rows padded to `width`, as `ExampleBatches` would see them),
so a run saved by the padded source resumes on this one.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from seqlab.autograd.mapped_pages import PageReleaser
from seqlab.seqmodels.batches import ExampleBatches

CHECKSUM_ROWS = 4096  # rows padded at a time while checksumming


class RowBatches(ExampleBatches):
    """Minibatches `(tokens (B, T) int32, lengths (B,) int64, labels (B,) int64)` of the rows
    `rows` of a flat id array, shuffled each epoch (T: the batch's longest row)."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, labels: np.ndarray,
                 batch_size: int, *, rows: np.ndarray | None = None, pad_id: int = 0,
                 width: int | None = None, shuffle: bool = True, seed: int = 0) -> None:
        offsets = np.asarray(offsets, dtype=np.int64)
        self.rows = np.arange(offsets.shape[0] - 1) if rows is None \
            else np.asarray(rows, dtype=np.int64)
        self.size = int(self.rows.shape[0])
        if self.size < 1:
            raise ValueError("no examples to make batches of")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.ids, self.offsets = ids, offsets
        self.labels = np.asarray(labels, dtype=np.int64)
        self.pad_id = pad_id
        self.width = width
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = np.random.default_rng(seed)
        self.epoch = 0
        self.position = 0
        self._order = np.arange(self.size)
        self._epoch_rng: dict[str, Any] = self.generator.bit_generator.state
        self._checksum: int | None = None
        self._pages = PageReleaser(ids)

    def _lengths(self, rows: np.ndarray) -> np.ndarray:
        return self.offsets[rows + 1] - self.offsets[rows]

    def _padded(self, rows: np.ndarray, width: int | None = None) -> tuple[np.ndarray, ...]:
        lengths = self._lengths(rows)
        width = width or max(int(lengths.max(initial=1)), 1)
        tokens = np.full((rows.shape[0], width), self.pad_id, dtype=np.int32)
        for row, (start, length) in enumerate(zip(self.offsets[rows].tolist(),
                                                  lengths.tolist(), strict=True)):
            tokens[row, :length] = self.ids[start : start + length]
        self._pages.advance(int(lengths.sum()) * self.ids.itemsize + 4096 * rows.shape[0])
        return tokens, lengths, self.labels[rows]

    def _rows(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return self._padded(self.rows[indices])

    @property
    def checksum(self) -> int:  # type: ignore[override]
        """`ExampleBatches`' checksum of (ids padded to `width` int32, lengths, labels)."""
        if self._checksum is None:
            width = self.width or max(int(self._lengths(self.rows).max(initial=1)), 1)
            crc = 0
            for start in range(0, self.size, CHECKSUM_ROWS):
                tokens, _, _ = self._padded(self.rows[start : start + CHECKSUM_ROWS], width)
                crc = zlib.crc32(tokens, crc)
            crc = zlib.crc32(np.ascontiguousarray(self._lengths(self.rows)), crc)
            self._checksum = zlib.crc32(np.ascontiguousarray(self.labels[self.rows]), crc)
            self._pages.release()
        return self._checksum

    @checksum.setter
    def checksum(self, value: int) -> None:
        self._checksum = value

    def batches(self) -> Iterator[tuple[np.ndarray, ...]]:
        """One pass in stored order (for validation; does not move the position)."""
        for start in range(0, self.size, self.batch_size):
            yield self._rows(np.arange(start, min(start + self.batch_size, self.size)))
