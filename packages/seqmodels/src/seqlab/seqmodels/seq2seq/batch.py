"""`PairBatch`: one padded batch of (source, target) token-id pairs, batch first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairBatch:
    """Sources (N, S) and teacher-forcing targets (N, T), padded with the pad id.

    `target_in` is `<s> y_1 .. y_m` and `target_out` is `y_1 .. y_m </s>`: step t reads
    target_in[:, t] and is scored on target_out[:, t]; padded steps hold the pad id in both.
    `indices` are the pairs' positions in their data set (for metrics over references).
    """

    source: np.ndarray
    source_lengths: np.ndarray
    target_in: np.ndarray
    target_out: np.ndarray
    indices: np.ndarray

    @property
    def size(self) -> int:
        """Number of pairs."""
        return int(self.source.shape[0])


def pad_rows(rows: list[np.ndarray], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, max_len) int64 ids padded with `pad_id`, and the lengths (N,)."""
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    out = np.full((len(rows), int(lengths.max(initial=1))), pad_id, dtype=np.int64)
    for index, row in enumerate(rows):
        out[index, : len(row)] = row
    return out, lengths


def make_batch(sources: list[np.ndarray], targets: list[np.ndarray], bos_id: int, eos_id: int,
               pad_id: int, indices: np.ndarray | None = None) -> PairBatch:
    """A PairBatch from unpadded source and target id rows (targets without <s> / </s>)."""
    source, source_lengths = pad_rows(sources, pad_id)
    target_in, _ = pad_rows([np.concatenate(([bos_id], row)) for row in targets], pad_id)
    target_out, _ = pad_rows([np.concatenate((row, [eos_id])) for row in targets], pad_id)
    if indices is None:
        indices = np.arange(len(sources))
    return PairBatch(source, source_lengths, target_in, target_out, np.asarray(indices))
