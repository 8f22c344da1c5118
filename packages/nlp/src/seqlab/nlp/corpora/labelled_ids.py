"""Labelled text read in passes, its token ids in a memory-mapped cache with row offsets.

`classify train` needs every row's label (for the stratified split), the training rows' text
(for the vocabulary) and every row's ids (for the batches), but never all the texts at once:

1. `scan_labels` reads the label of every row: an int32 code per row and the distinct names;
2. `row_texts` streams the texts of chosen rows again (the vocabulary, the baseline's sample);
3. `cached_row_ids` encodes every row once into `<cache_dir>/<key>.ids` (the narrowest
   unsigned dtype, as the language model's id cache) and `<key>.offsets` (int64, rows + 1),
   reused while the files, the tokenizer and the options are unchanged (`token_cache`'s key:
   each file's path, size and whole-content hash), built by one process at a time
   (`token_cache.cache_lock`).

Peak memory is then set by the model, a batch and a few bytes per row (code, offset), not by
the texts. The rows come from `LabelledSource`: files read by `iter_labelled` (CSV/TSV with
the csv module's quoting, JSONL, folders), or texts already in memory (the embedded set).
"""

from __future__ import annotations

import json
import zlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd.atomic import atomic_path, atomic_write
from seqlab.nlp.corpora.labelled import LabelledTexts, iter_labelled
from seqlab.nlp.corpora.token_cache import (
    cache_key,
    cache_lock,
    mapped_token_ids,
    narrowest_unsigned,
    read_cache_meta,
    remove_stale,
    write_token_ids,
)
from seqlab.nlp.truncation import DEFAULT_KEEP, kept_tokens

ROWS_CACHE_VERSION = 5  # 2: a file's leading byte-order mark is dropped; 3: a CSV field's CRLF
# and CR read as LF again (versions 1-2 kept "\r\n"); 4: keyed by each file's content hash;
# 5: keyed by the end a long row keeps (`keep`), and the count of rows cut stored ("cut")
BLOCK_IDS = 1 << 20  # ids gathered before a block is written
TEXT_CHUNK_CHARS = 1 << 20  # texts joined into chunks of about this size for a vocabulary


@dataclass
class LabelledSource:
    """Where labelled rows come from: files (read again on every pass) or texts in memory."""

    paths: list[Path] = field(default_factory=list)
    label_column: str = "label"
    text_column: str = "text"
    texts: LabelledTexts | None = None  # in memory (the embedded set): not cached on disk
    errors: str = "strict"  # bytes that are not UTF-8: 'strict', 'replace' or 'ignore'

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        """(text, label, origin) of every row, in order."""
        if self.texts is not None:
            yield from zip(self.texts.texts, self.texts.labels, self.texts.origins, strict=True)
            return
        for path in self.paths:
            yield from iter_labelled(path, self.label_column, self.text_column, self.errors)

    def files(self) -> list[Path]:
        """The files read, in order (a folder's class files): what the cache key fingerprints."""
        found: list[Path] = []
        for path in self.paths:
            if path.is_dir():
                for folder in sorted(c for c in path.iterdir()
                                     if c.is_dir() and not c.name.startswith(".")):
                    found.extend(sorted(f for f in folder.rglob("*")
                                        if f.is_file() and not f.name.startswith(".")))
            else:
                found.append(path)
        return found


@dataclass
class RowLabels:
    """Every row's label as a code into `names` (first-seen order), and where each first is."""

    codes: np.ndarray
    names: list[str]
    first_origin: dict[str, str]

    def __len__(self) -> int:
        return int(self.codes.shape[0])


def scan_labels(source: Iterable[tuple[str, str, str]]) -> RowLabels:
    """One pass over the rows: their label codes (int32); the texts are checked, not kept."""
    codes = array("i")
    index: dict[str, int] = {}
    first: dict[str, str] = {}
    for _, label, origin in source:
        code = index.get(label)
        if code is None:
            code = index[label] = len(index)
            first[label] = origin
        codes.append(code)
    return RowLabels(np.frombuffer(codes, dtype=np.int32).copy() if codes
                     else np.zeros(0, np.int32), list(index), first)


def row_texts(source: Iterable[tuple[str, str, str]], keep: np.ndarray) -> Iterator[str]:
    """The texts of the rows where `keep` (a bool per row) is set, in order."""
    for row, (text, _, _) in enumerate(source):
        if keep[row]:
            yield text


def joined_chunks(texts: Iterable[str], chunk_chars: int = TEXT_CHUNK_CHARS) -> Iterator[str]:
    """`"\\n".join(texts)` as chunks of about `chunk_chars` characters (cut between texts, so
    give them to `safe_pieces` before a tokenizer that must see the whole text's tokens)."""
    parts: list[str] = []
    size = 0
    first = True
    for text in texts:
        if not first:
            parts.append("\n")
        first = False
        parts.append(text)
        size += len(text) + 1
        if size >= chunk_chars:
            yield "".join(parts)
            parts, size = [], 0
    if parts:
        yield "".join(parts)


def vocabulary_pieces(texts: Iterable[str]) -> Iterator[str]:
    """`"\\n".join(texts)` as tokenizer-safe pieces: a char, word or BPE tokenizer trained on
    them counts what it counts on the joined text (built-in patterns; see `safe_pieces`)."""
    from seqlab.nlp.corpora.streaming import safe_pieces

    return safe_pieces(joined_chunks(texts), max_carry=64 * TEXT_CHUNK_CHARS)


class EmptyRowError(ValueError):
    """A row whose text the tokenizer turns into no tokens; `origin` says where it is."""

    def __init__(self, origin: str) -> None:
        super().__init__(f"{origin}: the text has no tokens; remove it")
        self.origin = origin


@dataclass
class RowIds:
    """Token ids of every row, flat (a read-only memory map, or an array), and row offsets."""

    ids: np.ndarray
    offsets: np.ndarray  # int64, rows + 1
    cut: int = 0  # rows longer than max_length, cut to it

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def width(self) -> int:
        """The longest row (at least 1): the width the rows padded together would have."""
        return max(int(self.lengths.max(initial=1)), 1)


def _encoded_blocks(source: Iterable[tuple[str, str, str]], tokenizer: Any, max_length: int,
                    lengths: array, keep: str, cut: list[int]) -> Iterator[np.ndarray]:
    """Blocks of the rows' ids, each row cut to `max_length` (`keep`: its last or first
    tokens); appends each row's length to `lengths` and counts the rows cut in `cut[0]`."""
    block: list[int] = []
    for text, _, origin in source:
        ids = tokenizer.encode(text)
        if not ids:
            raise EmptyRowError(origin)
        if len(ids) > max_length:
            cut[0] += 1
            ids = kept_tokens(ids, max_length, keep)
        block.extend(ids)
        lengths.append(len(ids))
        if len(block) >= BLOCK_IDS:
            yield np.asarray(block, dtype=np.int64)
            block = []
    if block:
        yield np.asarray(block, dtype=np.int64)


def encode_rows(source: Iterable[tuple[str, str, str]], tokenizer: Any, max_length: int,
                keep: str = DEFAULT_KEEP) -> RowIds:
    """Every row's ids (cut to its last, or `keep="first"` first, `max_length`), in memory:
    for small sets and for tests."""
    lengths, cut = array("q"), [0]
    blocks = list(_encoded_blocks(source, tokenizer, max_length, lengths, keep, cut))
    dtype = narrowest_unsigned(tokenizer.vocab_size)
    ids = np.concatenate(blocks).astype(dtype) if blocks else np.zeros(0, dtype)
    return RowIds(ids, _offsets(lengths), cut[0])


def _offsets(lengths: array) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    if len(lengths):
        np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])
    return offsets


def cached_row_ids(source: LabelledSource, tokenizer: Any, max_length: int,
                   cache_dir: str | Path, labels: RowLabels | None = None,
                   keep: str = DEFAULT_KEEP) -> RowIds:
    """Every row's ids (cut to its last, or `keep="first"` first, `max_length`), encoded once
    into `cache_dir` and memory-mapped; reused while the files, tokenizer, columns,
    `max_length` and `keep` are unchanged (a changed file is re-encoded).
    Each file's path, size and whole-content hash name the cache (`token_cache.file_fingerprint`);
    `labels` (this pass's `scan_labels`) are checked against the row count and label CRC
    stored with it too. In-memory sources are encoded in memory."""
    if source.texts is not None:
        return encode_rows(source, tokenizer, max_length, keep)
    options = {"rows": ROWS_CACHE_VERSION, "label_column": source.label_column,
               "text_column": source.text_column, "max_length": max_length,
               "errors": source.errors, "keep": keep}
    key = cache_key(source.files(), tokenizer, False, options)
    cache_dir = Path(cache_dir)
    ids_path, offsets_path = cache_dir / f"{key}.ids", cache_dir / f"{key}.offsets"
    meta_path = cache_dir / f"{key}.json"
    with cache_lock(cache_dir):
        meta = read_cache_meta(meta_path, ROWS_CACHE_VERSION)
        label_crc = _label_crc(labels)
        if meta is None or not _sizes_match(meta, ids_path, offsets_path) or (
                labels is not None and (meta.get("rows") != len(labels.codes)
                                        or meta.get("label_crc") != label_crc)):
            cache_dir.mkdir(parents=True, exist_ok=True)
            dtype = narrowest_unsigned(tokenizer.vocab_size)
            lengths, cut = array("q"), [0]
            length = write_token_ids(_encoded_blocks(source, tokenizer, max_length, lengths,
                                                     keep, cut), dtype, ids_path)
            with atomic_path(offsets_path) as temporary, open(temporary, "wb") as stream:
                stream.write(_offsets(lengths).data)
            meta = {"dtype": dtype.name, "length": length, "rows": len(lengths),
                    "label_crc": label_crc, "cut": cut[0], "version": ROWS_CACHE_VERSION}
            with atomic_write(meta_path) as file:
                json.dump(meta, file)
            remove_stale(cache_dir, keep=key)
        ids = mapped_token_ids(ids_path, np.dtype(meta["dtype"]), meta["length"])
        offsets = np.fromfile(offsets_path, dtype=np.int64)
        return RowIds(ids, offsets, int(meta.get("cut", 0)))


def _label_crc(labels: RowLabels | None) -> int | None:
    """CRC-32 of the label names and every row's code (None without labels)."""
    if labels is None:
        return None
    names = json.dumps(list(labels.names)).encode("utf-8")
    return zlib.crc32(np.ascontiguousarray(labels.codes, dtype=np.int32).data,
                      zlib.crc32(names))


def _sizes_match(meta: dict[str, Any], ids_path: Path, offsets_path: Path) -> bool:
    try:
        return (ids_path.stat().st_size == meta["length"] * np.dtype(meta["dtype"]).itemsize
                and offsets_path.stat().st_size == 8 * (meta["rows"] + 1))
    except (OSError, KeyError, TypeError):
        return False

