"""Token ids of (source, target) pairs, encoded once into a memory-mapped cache with offsets.

`seq2seq train` passes over its pairs many times (every epoch, shuffled); instead of a Python
object per pair it reads the pairs files in passes (each side's vocabulary, then the ids) and
keeps the ids of four segments, training and held-out sources and targets, in
`<cache_dir>/<key>.<segment>.ids` (the narrowest unsigned dtype) with int64 offsets in
`<key>.<segment>.offsets`, reused while the files, the tokenizers and the split are unchanged
(`token_cache`'s key: each file's path, size and whole-content hash; one process builds at a
time, `token_cache.cache_lock`). Memory is then a few bytes a
pair (offsets) and a batch, not the text.
"""

from __future__ import annotations

import contextlib
import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd.atomic import atomic_path, atomic_write
from seqlab.nlp.corpora.cache_folder import PAIR_SEGMENTS, remove_other_entries
from seqlab.nlp.corpora.token_cache import (
    cache_key,
    cache_lock,
    mapped_token_ids,
    narrowest_unsigned,
    read_cache_meta,
)

PAIRS_CACHE_VERSION = 4  # 2: a file's leading byte-order mark is dropped; 3: keyed by each
# file's whole-content hash; 4: keyed by the fields read (seq2seq train --columns), and a line
# of more than two fields is refused where it was read as source<TAB>rest
SEGMENTS = PAIR_SEGMENTS
BLOCK_IDS = 1 << 20


@dataclass
class SideIds:
    """One side of a set of pairs: flat ids and int64 offsets (pairs + 1)."""

    ids: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)


class EmptyPairError(ValueError):
    """A side of a pair that its tokenizer turns into no tokens."""


class _Tokenizers:
    """Both tokenizers, for the cache key (it hashes `to_dict()`)."""

    def __init__(self, source: Any, target: Any) -> None:
        self.source, self.target = source, target

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.to_dict(), "target": self.target.to_dict()}


class _Segment:
    """Ids of one segment, gathered in blocks and written (or kept) as they come."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.encode = tokenizer.encode  # bound once: called for every pair
        self.dtype = narrowest_unsigned(tokenizer.vocab_size)
        self.block: list[int] = []
        self.blocks: list[np.ndarray] = []
        self.lengths = array("q")

    def add(self, text: str) -> None:
        ids = self.encode(text)
        if not ids:
            raise EmptyPairError(f"{text!r} encodes to no tokens")
        self.block.extend(ids)
        self.lengths.append(len(ids))

    def take(self) -> np.ndarray:
        block, self.block = np.asarray(self.block, dtype=self.dtype), []
        return block

    def offsets(self) -> np.ndarray:
        offsets = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        if len(self.lengths):
            np.cumsum(np.frombuffer(self.lengths, dtype=np.int64), out=offsets[1:])
        return offsets


def _encode(pairs: Iterable[tuple[str, str]], held_out: Callable[[str], bool],
            segments: dict[str, _Segment], spill: Callable[[str, np.ndarray], None]) -> None:
    # (source, target) segment names a side, looked up once: this loop runs for every pair
    sides = {held: (f"{side}-source", f"{side}-target")
             for held, side in ((False, "train"), (True, "valid"))}
    for source, target in pairs:
        for name, text in zip(sides[held_out(source)], (source, target)):
            segment = segments[name]
            segment.add(text)
            if len(segment.block) >= BLOCK_IDS:
                spill(name, segment.take())
    for name, segment in segments.items():
        if segment.block:
            spill(name, segment.take())


def encode_pairs(pairs: Iterable[tuple[str, str]], held_out: Callable[[str], bool],
                 source_tokenizer: Any, target_tokenizer: Any) -> dict[str, SideIds]:
    """The four segments' ids in memory (for small sets: the embedded default, tests)."""
    segments = _segments(source_tokenizer, target_tokenizer)
    blocks: dict[str, list[np.ndarray]] = {name: [] for name in SEGMENTS}
    _encode(pairs, held_out, segments, lambda name, block: blocks[name].append(block))
    return {name: SideIds(np.concatenate(blocks[name]) if blocks[name]
                          else np.zeros(0, segment.dtype), segment.offsets())
            for name, segment in segments.items()}


def _segments(source_tokenizer: Any, target_tokenizer: Any) -> dict[str, _Segment]:
    return {name: _Segment(source_tokenizer if name.endswith("source") else target_tokenizer)
            for name in SEGMENTS}


def cached_pair_ids(pairs: Callable[[], Iterator[tuple[str, str]]], paths: list[Path],
                    held_out: Callable[[str], bool], split: dict[str, Any],
                    source_tokenizer: Any, target_tokenizer: Any,
                    cache_dir: str | Path) -> dict[str, SideIds]:
    """The four segments' ids, encoded once into `cache_dir` and memory-mapped.

    `pairs()` streams the pairs of `paths`; `held_out(source)` says which side a pair goes to,
    as `split` (JSON-able: what decides it, part of the key) describes."""
    tokenizers = _Tokenizers(source_tokenizer, target_tokenizer)
    key = cache_key(paths, tokenizers, False, {"pairs": PAIRS_CACHE_VERSION, **split})
    cache_dir = Path(cache_dir)
    meta_path = cache_dir / f"{key}.pairs.json"
    with cache_lock(cache_dir):
        meta = read_cache_meta(meta_path, PAIRS_CACHE_VERSION)
        if meta is None or not _complete(cache_dir, key, meta):
            cache_dir.mkdir(parents=True, exist_ok=True)
            meta = _write(pairs(), held_out, _segments(source_tokenizer, target_tokenizer),
                          cache_dir, key)
            with atomic_write(meta_path) as file:
                json.dump(meta, file)
            remove_other_entries(cache_dir, key)  # only what seqlab's caches wrote
        return {name: SideIds(mapped_token_ids(cache_dir / f"{key}.{name}.ids",
                                               np.dtype(meta[name]["dtype"]),
                                               meta[name]["length"]),
                              np.fromfile(cache_dir / f"{key}.{name}.offsets", dtype=np.int64))
                for name in SEGMENTS}


def _write(pairs: Iterable[tuple[str, str]], held_out: Callable[[str], bool],
           segments: dict[str, _Segment], cache_dir: Path, key: str) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        streams = {}
        for name in SEGMENTS:
            temporary = stack.enter_context(atomic_path(cache_dir / f"{key}.{name}.ids"))
            streams[name] = stack.enter_context(open(temporary, "wb"))
        lengths = dict.fromkeys(SEGMENTS, 0)

        def spill(name: str, block: np.ndarray) -> None:
            streams[name].write(block.data)
            lengths[name] += block.size

        _encode(pairs, held_out, segments, spill)
        for stream in streams.values():
            stream.close()
    meta: dict[str, Any] = {"version": PAIRS_CACHE_VERSION}
    for name, segment in segments.items():
        offsets = segment.offsets()
        with atomic_path(cache_dir / f"{key}.{name}.offsets") as temporary, \
                open(temporary, "wb") as stream:
            stream.write(offsets.data)
        meta[name] = {"dtype": segment.dtype.name, "length": lengths[name],
                      "pairs": len(offsets) - 1}
    return meta


def _complete(cache_dir: Path, key: str, meta: dict[str, Any]) -> bool:
    try:
        for name in SEGMENTS:
            entry = meta[name]
            size = entry["length"] * np.dtype(entry["dtype"]).itemsize
            if (cache_dir / f"{key}.{name}.ids").stat().st_size != size or \
                    (cache_dir / f"{key}.{name}.offsets").stat().st_size != \
                    8 * (entry["pairs"] + 1):
                return False
    except (OSError, KeyError, TypeError):
        return False
    return True
