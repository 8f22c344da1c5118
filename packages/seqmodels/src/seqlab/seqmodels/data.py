"""`TokenStreams`: the language model's data source: a token array laid into N parallel
streams, cut into chunks for truncated BPTT.

The array is trimmed to a multiple of N and laid out column-wise: stream j holds the j-th
contiguous slice of the text, so row t of the (steps, N) grid is position t of every stream.
Chunk k is `input = grid[kT : kT + T]`, `target = grid[kT + 1 : kT + T + 1]`: the recurrent state
at the end of one chunk is exactly the state the next chunk starts from (the trainer carries it
across chunks, detached).

The ids stay in the dtype they come in (a memory-mapped uint8/uint16 cache stays memory-mapped):
only the chunk being handed out is cast to int64, and the checksum is computed in fixed-size
blocks, so the data source adds O(batch) memory, not O(corpus). The pages of a memory map that
have been read are given back as the reading moves on (`seqlab.autograd.mapped_pages`), so a
pass over a 1 GB cache does not leave the process 1 GB larger.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from seqlab.autograd.mapped_pages import PageReleaser

CHECKSUM_BLOCK_BYTES = 1 << 24  # int64 bytes cast per step while checksumming (16 MiB)


class TokenStreams:
    """Iterates (input (T, N), target (T, N)) int64 chunks; resumable through `state_dict()`."""

    def __init__(self, tokens: Any, batch_size: int, seq_len: int) -> None:
        array = np.asarray(tokens)
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(
                f"tokens must be a 1-D integer array of token ids, got shape {array.shape} "
                f"dtype {array.dtype}"
            )
        if batch_size <= 0 or seq_len <= 0:
            raise ValueError(
                f"batch_size and seq_len must be positive, got {batch_size}, {seq_len}"
            )
        steps = array.shape[0] // batch_size
        if steps < 2:
            raise ValueError(
                f"{array.shape[0]} tokens are too few for {batch_size} streams: each stream "
                "needs at least 2 tokens (an input and its target); use a smaller batch_size"
            )
        self.batch_size = batch_size
        self.seq_len = seq_len
        # (N, steps) view of the ids as given: row j is stream j; no copy, no cast
        self._streams = array[: steps * batch_size].reshape(batch_size, steps)
        self._pages = PageReleaser(array)
        # identifies the data, so a position saved for other data is not applied to this one
        self.checksum = self._checksum()
        self.position = 0  # index of the next chunk within the epoch
        self.epoch = 0

    @property
    def grid(self) -> np.ndarray:
        """The (steps, N) grid: row t is position t of every stream (a view, ids' own dtype)."""
        return self._streams.T

    @property
    def steps_per_stream(self) -> int:
        """Tokens per stream (rows of the grid)."""
        return self._streams.shape[1]

    def _rows(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) of the grid as a contiguous int64 (stop - start, N) array."""
        rows = np.ascontiguousarray(self._streams[:, start:stop].T, dtype=np.int64)
        # each stream's rows lie on their own page(s) of the map
        self._pages.advance(self.batch_size * ((stop - start) * self._streams.itemsize + 4096))
        return rows

    def _checksum(self) -> int:
        """CRC-32 of the grid as contiguous int64 bytes, computed block by block."""
        rows = max(1, CHECKSUM_BLOCK_BYTES // (8 * self.batch_size))
        crc = 0
        for start in range(0, self.steps_per_stream, rows):
            crc = zlib.crc32(self._rows(start, start + rows), crc)
        self._pages.release()
        return crc

    def __len__(self) -> int:
        """Chunks per epoch (the last one may be shorter than seq_len)."""
        return -(-(self.steps_per_stream - 1) // self.seq_len)

    @property
    def tokens_per_epoch(self) -> int:
        """Target tokens per epoch: the denominator of a full-pass average loss."""
        return (self.steps_per_stream - 1) * self.batch_size

    def chunk(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk `index` of an epoch: (input, target), each (T, N) with T <= seq_len."""
        if not 0 <= index < len(self):
            raise IndexError(f"chunk index {index} out of range [0, {len(self)})")
        start = index * self.seq_len
        length = min(self.seq_len, self.steps_per_stream - 1 - start)
        rows = self._rows(start, start + length + 1)
        return rows[:length], rows[1:]

    def next_chunk(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """The next chunk, and whether it starts an epoch (the caller resets its state there)."""
        starts_epoch = self.position == 0
        inputs, targets = self.chunk(self.position)
        self.position += 1
        if self.position == len(self):
            self.position = 0
            self.epoch += 1
        return inputs, targets, starts_epoch

    def next_batch(self) -> tuple[tuple[np.ndarray, np.ndarray], bool]:
        """The Trainer's data-source protocol: ((input, target), starts_epoch)."""
        inputs, targets, starts_epoch = self.next_chunk()
        return (inputs, targets), starts_epoch

    def batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One full pass of (input, target) chunks, for validation."""
        return iter(self)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The chunks of one epoch, from the start (does not move `position`)."""
        for index in range(len(self)):
            yield self.chunk(index)

    def state_dict(self) -> dict[str, int]:
        """Where the stream is: enough to continue exactly after a restart."""
        return {"position": self.position, "epoch": self.epoch,
                "batch_size": self.batch_size, "seq_len": self.seq_len,
                "steps_per_stream": self.steps_per_stream, "checksum": self.checksum}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue from a saved position; the layout must be the same as when it was saved."""
        keys = ("batch_size", "seq_len", "steps_per_stream", "checksum")
        layout = tuple(getattr(self, key) for key in keys)
        saved = tuple(state.get(key) for key in keys)
        if saved != layout:
            raise ValueError(
                "the saved data position belongs to a different stream layout: saved "
                f"(batch_size, seq_len, steps_per_stream, checksum) = {saved}, this one {layout}; "
                "resume with the same data, batch size and sequence length"
            )
        position = int(state["position"])
        if not 0 <= position < len(self):
            raise ValueError(f"saved position {position} is out of range [0, {len(self)})")
        self.position = position
        self.epoch = int(state["epoch"])


class TooFewTokensError(ValueError):
    """A corpus too short for even one batch of `batch_size` streams."""

    def __init__(self, tokens: int, needed: int, batch_size: int) -> None:
        super().__init__(f"the corpus has {tokens} tokens, fewer than one batch of "
                         f"{batch_size} streams needs ({needed})")
        self.tokens, self.needed, self.batch_size = tokens, needed, batch_size


def train_valid_streams(tokens: Any, val_fraction: float, batch_size: int,
                        seq_len: int) -> tuple[TokenStreams, TokenStreams | None]:
    """Training and validation streams: the last `val_fraction` of `tokens` is held out.

    The held-out tail is laid into at most `batch_size` streams (fewer for a short tail, so
    each stream still has a whole chunk); a tail too short for one stream gives no validation
    data (None). Raises TooFewTokensError when `tokens` cannot fill one training batch.
    """
    size = len(tokens)
    if size < 2 * batch_size + 2:
        raise TooFewTokensError(size, 2 * batch_size + 2, batch_size)
    n_valid = int(size * val_fraction)
    valid_tokens = tokens[size - n_valid:] if n_valid else tokens[:0]
    train = TokenStreams(tokens[: size - n_valid], batch_size, seq_len)
    valid_batch = max(1, min(batch_size, len(valid_tokens) // (seq_len + 1)))
    valid = TokenStreams(valid_tokens, valid_batch, seq_len) \
        if len(valid_tokens) >= 2 * valid_batch + 2 else None
    return train, valid
