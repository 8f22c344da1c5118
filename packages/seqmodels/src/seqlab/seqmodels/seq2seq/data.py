"""Pairs of token-id sequences and the batch source the Trainer reads them from.

`read_pairs` streams `source<TAB>target` lines from a TSV file; `PairCorpus` keeps the encoded
pairs as two flat int32 arrays with offsets (no Python object per token); `PairBatches` is the
Trainer's data source: length-bucketed, shuffled batches, resumable to the exact batch.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from seqlab.autograd.mapped_pages import PageReleaser
from seqlab.autograd.wide_text import not_utf8_message
from seqlab.seqmodels.seq2seq.batch import PairBatch, make_batch

CHECKSUM_BLOCK = 1 << 22  # ids cast to int32 at a time while checksumming


class PairFileError(ValueError):
    """A TSV pairs file that cannot be read: says which file, which line, and what to do."""


Columns = tuple[int, int]  # the (source, target) fields of a line, 0-based


def read_pairs(path: str | Path, max_chars: int | None = None, errors: str = "strict",
               columns: Columns | None = None) -> Iterator[tuple[str, str]]:
    """(source, target) text pairs of a UTF-8 `source<TAB>target` file; blank lines skipped.

    A byte-order mark at the start of the file is dropped (as `utf-8-sig` does); `errors`
    ('strict', 'replace', 'ignore') is what decoding does with bytes that are not UTF-8.
    A line must have exactly two tab-separated fields, unless `columns` names the two to
    read (0-based: `(0, 1)` reads the first two of `en<TAB>fr<TAB>attribution`, and a line
    needs at least as many fields as the larger asks). A line without a tab, with another
    number of fields, with an empty side, or (given `max_chars`) a side longer than
    `max_chars` characters, is a PairFileError.
    """
    for _, source, target in read_located_pairs(path, max_chars, errors, columns):
        yield source, target


def read_located_pairs(path: str | Path, max_chars: int | None = None,
                       errors: str = "strict", columns: Columns | None = None,
                       ) -> Iterator[tuple[int, str, str]]:
    """(byte offset of its line, source, target) for each pair `read_pairs` gives; the pair
    reads back from that offset with `pair_at`."""
    path = Path(path)
    columns = _checked_columns(columns)
    needed = max(columns) if columns is not None else 1  # fields a line needs, less one
    offset = 0
    limit = -1 if max_chars is None else max_chars
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            # the common line inline (a function call a line is a tenth of the pass): valid
            # UTF-8, the fields asked for, text on both sides, no side over the limit
            try:
                line = raw.decode("utf-8", errors).rstrip("\r\n")
            except UnicodeDecodeError:
                line = None
            if line is not None and offset and (limit < 0 or len(line) <= limit):
                if columns is None:
                    source, tab, target = line.partition("\t")
                    if "\t" in target:
                        tab = ""
                else:
                    fields = line.split("\t")
                    tab = "\t" if len(fields) > needed else ""
                    if tab:
                        source, target = fields[columns[0]], fields[columns[1]]
                if tab and source and target and not source.isspace() and \
                        not target.isspace():
                    yield offset, source, target
                    offset += len(raw)
                    continue
            pair = _parse_pair(raw, offset == 0, errors, path, number, max_chars, columns)
            if pair is not None:
                yield (offset, *pair)
            offset += len(raw)


def pair_at(handle: BinaryIO, offset: int, errors: str = "strict",
            columns: Columns | None = None) -> tuple[str, str]:
    """The pair on the line at byte `offset` of an open pairs file, an offset that
    `read_located_pairs` gave (so the line is known to hold a pair)."""
    handle.seek(offset)
    pair = _parse_pair(handle.readline(), offset == 0, errors, Path(handle.name), 0, None,
                       _checked_columns(columns))
    if pair is None:
        raise PairFileError(f"{handle.name}: no pair at byte {offset} (did the file change?)")
    return pair


def _checked_columns(columns: Columns | None) -> Columns | None:
    if columns is None:
        return None
    if len(columns) != 2 or min(columns) < 0 or columns[0] == columns[1]:
        raise ValueError(f"columns must be two different field numbers from 0 (source, "
                         f"target), got {columns!r}")
    return (int(columns[0]), int(columns[1]))


def _fields(count: int) -> str:
    return f"{count} tab-separated field{'s' if count != 1 else ''}"


def _parse_pair(raw: bytes, starts_file: bool, errors: str, path: Path, number: int,
                max_chars: int | None, columns: Columns | None = None,
                ) -> tuple[str, str] | None:
    """The (source, target) of line `number` (bytes `raw`) of a pairs file, None for a blank
    line, a PairFileError for anything else that is not source<TAB>target (or, given
    `columns`, has no such fields)."""
    try:
        line = raw.decode("utf-8", errors).rstrip("\r\n")
    except UnicodeDecodeError:
        raise PairFileError(not_utf8_message(path)) from None
    if starts_file and raw.startswith(b"\xef\xbb\xbf"):  # the mark, not a decoded U+FEFF
        line = line[1:]
    if not line.strip():
        return None
    fields = line.split("\t")
    if columns is not None:
        if len(fields) <= max(columns):
            raise PairFileError(f"{path}:{number}: {_fields(len(fields))}, but columns="
                                f"{columns} needs {max(columns) + 1}; choose fields every "
                                "line has")
        source, target = fields[columns[0]], fields[columns[1]]
    elif len(fields) == 1:
        raise PairFileError(f"{path}:{number}: no tab; each line must be "
                            "source<TAB>target")
    elif len(fields) > 2:
        raise PairFileError(f"{path}:{number}: {_fields(len(fields))}; each line must be "
                            "source<TAB>target: pass columns=(0, 1) to read two of the "
                            "fields (the others are ignored), or keep only two (cut -f1,2)")
    else:
        source, target = fields
    if not source.strip() or not target.strip():
        side = "source" if not source.strip() else "target"
        raise PairFileError(f"{path}:{number}: empty {side}; each line must be "
                            "source<TAB>target with text on both sides")
    if max_chars is not None and max(len(source), len(target)) > max_chars:
        side = "source" if len(source) > max_chars else "target"
        raise PairFileError(f"{path}:{number}: the {side} is "
                            f"{max(len(source), len(target)):,} characters, over the "
                            f"limit of {max_chars:,}; split it, or raise --max-length "
                            "(memory and time grow with its square)")
    return source, target


class PairCorpus:
    """Encoded (source, target) pairs, stored flat: ids and int64 offsets per side.

    The ids may be int32 arrays or read-only memory maps of an id cache in a narrow unsigned
    dtype (`seqlab.nlp.corpora.pair_ids`): a batch casts only its own pairs, and the pages of a
    map that batches have read are given back as training moves on."""

    def __init__(self, source_ids: np.ndarray, source_offsets: np.ndarray,
                 target_ids: np.ndarray, target_offsets: np.ndarray) -> None:
        if source_offsets.shape != target_offsets.shape or source_offsets.shape[0] < 1:
            raise ValueError("source and target offsets must describe the same pairs")
        self.source_ids, self.source_offsets = source_ids, source_offsets
        self.target_ids, self.target_offsets = target_ids, target_offsets
        self._pages = PageReleaser(source_ids, target_ids)

    @classmethod
    def encode(cls, pairs: Iterable[tuple[str, str]], source_tokenizer: Any,
               target_tokenizer: Any) -> PairCorpus:
        """Encode text pairs with the two tokenizers (pairs are read once, as they stream;
        the ids are gathered flat, with no array per pair)."""
        sides = [(array("i"), array("q", [0])), (array("i"), array("q", [0]))]
        for source, target in pairs:
            for (ids, offsets), tokenizer, text in ((sides[0], source_tokenizer, source),
                                                    (sides[1], target_tokenizer, target)):
                encoded = tokenizer.encode(text)
                if not encoded:
                    raise ValueError(f"{text!r} encodes to no tokens")
                ids.extend(encoded)
                offsets.append(offsets[-1] + len(encoded))
        flat = [np.frombuffer(ids, dtype=np.int32).copy() if ids else np.zeros(0, np.int32)
                for ids, _ in sides]
        return cls(flat[0], np.frombuffer(sides[0][1], np.int64).copy(), flat[1],
                   np.frombuffer(sides[1][1], np.int64).copy())

    def __len__(self) -> int:
        return self.source_offsets.shape[0] - 1

    def source(self, index: int) -> np.ndarray:
        return self.source_ids[self.source_offsets[index] : self.source_offsets[index + 1]]

    def target(self, index: int) -> np.ndarray:
        return self.target_ids[self.target_offsets[index] : self.target_offsets[index + 1]]

    @property
    def source_lengths(self) -> np.ndarray:
        return np.diff(self.source_offsets)

    @property
    def target_tokens(self) -> int:
        """Target tokens in all, </s> included (what the loss averages over)."""
        return int(self.target_ids.size + len(self))

    def batch(self, indices: np.ndarray, pad_id: int, bos_id: int, eos_id: int) -> PairBatch:
        """The pairs at `indices` as one padded batch."""
        tokens = int((self.source_offsets[indices + 1] - self.source_offsets[indices]).sum() +
                     (self.target_offsets[indices + 1] - self.target_offsets[indices]).sum())
        self._pages.advance(tokens * self.source_ids.itemsize + 8192 * len(indices))
        return make_batch([self.source(i).astype(np.int64) for i in indices],
                          [self.target(i).astype(np.int64) for i in indices],
                          bos_id, eos_id, pad_id, indices)

    def checksum(self) -> int:
        """CRC-32 of the source ids, target ids (as int32) and target offsets, block by block
        (the value of the int32 arrays' bytes, whatever dtype the ids are kept in)."""
        value = _crc_int32(self.source_ids, 0)
        value = _crc_int32(self.target_ids, value)
        return zlib.crc32(np.ascontiguousarray(self.target_offsets), value)


def _crc_int32(ids: np.ndarray, value: int) -> int:
    for start in range(0, ids.shape[0], CHECKSUM_BLOCK):
        value = zlib.crc32(np.ascontiguousarray(ids[start : start + CHECKSUM_BLOCK],
                                                dtype=np.int32), value)
    return value


class PairBatches:
    """The Trainer's data source over a PairCorpus (see the unified Trainer contract).

    Each epoch shuffles the pairs with a generator seeded by (seed, epoch), sorts windows of
    `bucket` batches by source length (less padding) and shuffles the batch order; a saved
    `state_dict` (epoch, position) rebuilds the same order, so a resumed run sees the same
    batches. `batches()` is one deterministic pass in length order, for validation.
    """

    def __init__(self, corpus: PairCorpus, batch_size: int, *, pad_id: int = 0,
                 bos_id: int = 2, eos_id: int = 3, seed: int = 0, bucket: int = 50) -> None:
        if batch_size < 1 or bucket < 1:
            raise ValueError(f"batch_size and bucket must be at least 1, got {batch_size}, "
                             f"{bucket}")
        if len(corpus) == 0:
            raise ValueError("no pairs to train on")
        self.corpus, self.batch_size, self.bucket, self.seed = corpus, batch_size, bucket, seed
        self.ids = (pad_id, bos_id, eos_id)
        self.epoch = 0
        self.position = 0
        self._checksum = corpus.checksum()
        self._order: list[np.ndarray] | None = None

    def __len__(self) -> int:
        """Batches per epoch."""
        return -(-len(self.corpus) // self.batch_size)

    def _epoch_order(self) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, self.epoch])
        permutation = rng.permutation(len(self.corpus))
        lengths = self.corpus.source_lengths
        window = self.batch_size * self.bucket
        batches = []
        for start in range(0, permutation.size, window):
            chunk = permutation[start : start + window]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i : i + self.batch_size]
                           for i in range(0, chunk.size, self.batch_size))
        return [batches[i] for i in rng.permutation(len(batches))]

    def next_batch(self) -> tuple[PairBatch, bool]:
        """The next training batch, and whether it starts an epoch."""
        if self._order is None:
            self._order = self._epoch_order()
        starts_epoch = self.position == 0
        batch = self.corpus.batch(self._order[self.position], *self.ids)
        self.position += 1
        if self.position == len(self._order):
            self.position = 0
            self.epoch += 1
            self._order = None
        return batch, starts_epoch

    def batches(self) -> Iterator[PairBatch]:
        """One full pass in source-length order (deterministic; does not move the position)."""
        order = np.argsort(self.corpus.source_lengths, kind="stable")
        for start in range(0, order.size, self.batch_size):
            yield self.corpus.batch(order[start : start + self.batch_size], *self.ids)

    def state_dict(self) -> dict[str, int]:
        """Where the source is (JSON-able): enough to continue exactly."""
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed,
                "batch_size": self.batch_size, "bucket": self.bucket,
                "pairs": len(self.corpus), "checksum": self._checksum}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue from a saved position; the data and batching must be the same."""
        keys = ("seed", "batch_size", "bucket", "pairs", "checksum")
        saved = tuple(state.get(key) for key in keys)
        mine = (self.seed, self.batch_size, self.bucket, len(self.corpus), self._checksum)
        if saved != mine:
            raise ValueError(f"the saved data position belongs to other pairs or batching "
                             f"(seed, batch size, bucket, pairs, checksum): saved {saved}, "
                             f"now {mine}; resume with the same files and options")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = None
        if not 0 <= self.position < len(self):
            raise ValueError(f"saved position {self.position} is out of range [0, {len(self)})")


def held_out(source: str, fraction: float) -> bool:
    """Whether a pair goes to the held-out side: a fixed hash of its source text, so every pair
    with the same source (all pronunciations of a word) lands on the same side, on any machine."""
    return held_out_rule(fraction)(source)


def held_out_rule(fraction: float) -> Callable[[str], bool]:
    """`held_out(source, fraction)` as a function of the source alone, the threshold worked
    out once (a pass over millions of pairs calls it for each)."""
    threshold = round(fraction * 10_000)
    crc32 = zlib.crc32

    def held(source: str) -> bool:
        return crc32(source.encode("utf-8")) % 10_000 < threshold

    return held


def split_pairs(pairs: Iterable[tuple[str, str]],
                fraction: float) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training pairs, held-out pairs), split by source text with `held_out`."""
    train, valid = [], []
    for pair in pairs:
        (valid if held_out(pair[0], fraction) else train).append(pair)
    return train, valid
