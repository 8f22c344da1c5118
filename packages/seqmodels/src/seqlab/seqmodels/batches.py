"""`ExampleBatches`: shuffled minibatches over arrays of examples, resumable to the batch.

The data source the classifier and the regressor train from (see `seqlab.seqmodels.trainer`):
every array holds one row per example (token ids, lengths, labels; windows, targets), and a
batch is the same rows of each. Each epoch draws a fresh permutation from the source's own
generator; `state_dict()` records the generator's state from before that draw and the batch
position, so a resumed run sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np


class ExampleBatches:
    """Minibatches of rows of `arrays` (one row per example), shuffled each epoch."""

    def __init__(self, arrays: tuple[np.ndarray, ...], batch_size: int, *,
                 shuffle: bool = True, seed: int = 0) -> None:
        arrays = tuple(np.asarray(array) for array in arrays)
        if not arrays:
            raise ValueError("ExampleBatches needs at least one array")
        sizes = {array.shape[0] if array.ndim else -1 for array in arrays}
        if len(sizes) != 1:
            raise ValueError(f"every array needs one row per example; got row counts {sizes}")
        self.size = sizes.pop()
        if self.size < 1:
            raise ValueError("no examples to make batches of")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.arrays = arrays
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = np.random.default_rng(seed)
        # identifies the data, so a position saved for other data is not applied to this one
        checksum = 0
        for array in arrays:
            checksum = zlib.crc32(np.ascontiguousarray(array).tobytes(), checksum)
        self.checksum = checksum
        self.epoch = 0
        self.position = 0  # index of the next batch within the epoch
        self._order = np.arange(self.size)
        self._epoch_rng: dict[str, Any] = self.generator.bit_generator.state

    def __len__(self) -> int:
        """Batches per epoch (the last one may be smaller)."""
        return -(-self.size // self.batch_size)

    def _start_epoch(self) -> None:
        self._epoch_rng = self.generator.bit_generator.state
        self._order = self.generator.permutation(self.size) if self.shuffle \
            else np.arange(self.size)

    def _rows(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(array[indices] for array in self.arrays)

    def next_batch(self) -> tuple[tuple[np.ndarray, ...], bool]:
        """The next batch (one array per input array) and whether it starts an epoch."""
        starts_epoch = self.position == 0
        if starts_epoch:
            self._start_epoch()
        start = self.position * self.batch_size
        batch = self._rows(self._order[start : start + self.batch_size])
        self.position += 1
        if self.position == len(self):
            self.position = 0
            self.epoch += 1
        return batch, starts_epoch

    def batches(self) -> Iterator[tuple[np.ndarray, ...]]:
        """One pass in stored order (for validation; does not move the position)."""
        for start in range(0, self.size, self.batch_size):
            yield self._rows(np.arange(start, min(start + self.batch_size, self.size)))

    def state_dict(self) -> dict[str, Any]:
        """Where the source is: epoch, batch position, and the generator before this epoch."""
        rng = self._epoch_rng if self.position else self.generator.bit_generator.state
        return {"epoch": self.epoch, "position": self.position, "rng": rng,
                "size": self.size, "batch_size": self.batch_size, "checksum": self.checksum,
                "shuffle": self.shuffle}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a saved position; the data and batch size must be the same."""
        keys = ("size", "batch_size", "checksum")
        saved = tuple(state.get(key) for key in keys)
        mine = tuple(getattr(self, key) for key in keys)
        if saved != mine:
            raise ValueError(
                "the saved data position belongs to other data: saved (examples, batch_size, "
                f"checksum) = {saved}, this one {mine}; resume with the same data and batch size"
            )
        position = int(state["position"])
        if not 0 <= position < len(self):
            raise ValueError(f"saved position {position} is out of range [0, {len(self)})")
        self.shuffle = bool(state.get("shuffle", self.shuffle))
        self.generator.bit_generator.state = state["rng"]
        self.epoch = int(state["epoch"])
        self.position = position
        if position:
            self._start_epoch()  # the permutation this epoch was drawn with
