"""A corpus's token ids in a memory-mapped cache file, reused while the corpus is unchanged.

Commands that pass over a corpus more than once (language-model training) encode it once,
streaming, into `<cache_dir>/<key>.ids`: raw ids in the narrowest unsigned dtype that holds the
tokenizer's vocabulary (uint8 for bytes and small alphabets, uint16 up to 65,536 tokens), with a
JSON sidecar giving dtype and length.

The key hashes the tokenizer, the encoding rule and each file's `file_fingerprint`: its path,
size and a SHA-256 of all its bytes. Every id cache (this one, `labelled_ids`, `pair_ids`) is
keyed by that one function. Size and modification time are not enough: `touch -r`, `cp -p`,
`rsync -t` and checkout tools restore an mtime, and an edit that keeps the size (a label
flipped, a word replaced by one as long) would then be served stale ids; a hash of samples
misses an edit between them. Hashing everything reads the corpus once more per run (SHA-256
runs at about 0.6 GB/s a core here, see BENCHMARKS.md; reading the ids cache costs about as
much, and encoding costs far more), and a `touch` alone no longer throws the ids away.

`cache_lock` serialises the processes that share a cache folder: a second process building the
same ids waits for the first and then reuses them, and one building other ids cannot delete
(`remove_stale`) files the first is about to map.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd.atomic import atomic_path, atomic_write
from seqlab.autograd.file_lock import FileLock
from seqlab.nlp.corpora.cache_folder import LOCK_NAME, remove_other_entries
from seqlab.nlp.corpora.reading import DEFAULT_CHUNK_BYTES, STDIN, Source, resolve_paths
from seqlab.nlp.corpora.streaming import stream_token_ids

CACHE_VERSION = 11  # 2: a last line without a newline ends with </s> at word level; 3: pieces
# are never cut inside a stretch without a safe boundary (ids equal the whole text's always);
# 4: a custom pattern's pieces are cut at line ends only (the "\r" | "\n" cut split its CRLF);
# 5: and after a whole "\r\n" too (CRLF text was cut every 64 chunks, ids could differ there);
# 6: a UTF-8 byte-order mark at the start of a file is dropped, not encoded as a token;
# 7: not cut after "\r\n" again (GPT-2-style patterns gave other ids there: version 5-6
# caches of CRLF text may hold wrong ids); 8: keyed by a hash of each file's whole content
# 9: a custom pattern's pieces are cut where the pattern is checked to split the same (CRLF
# and CR text was cut by force every 64 chunks: ids could differ there); 10: a pattern whose
# look-around may see 256 characters or more is not cut by choice (checked cuts could differ)
# 11: a word-level line is blank when it has no tokens, not by str.strip() (lines of only
# U+001C-U+001F were dropped, and a line's leading part of them at a piece cut)


def narrowest_unsigned(vocab_size: int) -> np.dtype:
    """The smallest unsigned integer dtype that holds ids 0..vocab_size-1."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def file_fingerprint(path: Path) -> dict[str, Any]:
    """What every id cache knows a file by: its resolved path, size and the SHA-256 of all its
    bytes (not its mtime: a restored mtime must not hide an edit, a touch need not re-encode)."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
    return {"path": str(path.resolve()), "size": size, "sha256": digest}


@contextlib.contextmanager
def cache_lock(cache_dir: Path) -> Iterator[None]:
    """Hold `cache_dir`'s lock (`.seqlab-lock` inside it, created with the folder) while
    looking up or building its caches: other processes on the same folder wait. A folder
    that cannot be created or written (a read-only cache) is used unlocked: it is only read."""
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
    if not cache_dir.is_dir():
        yield
        return
    with FileLock(cache_dir / LOCK_NAME, wait=True):
        yield


def cache_key(paths: list[Path], tokenizer, line_eos: bool, options: dict[str, Any]) -> str:
    """A hex key naming the ids of these files under this tokenizer and encoding rule."""
    description = {
        "version": CACHE_VERSION,
        "files": [file_fingerprint(p) for p in paths],
        "tokenizer": tokenizer.to_dict(),
        "line_eos": line_eos,
        "options": {k: v for k, v in sorted(options.items()) if k != "stdin"},
    }
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def cached_token_ids(source: Source, tokenizer, cache_dir: str | Path, line_eos: bool = False,
                     chunk_bytes: int = DEFAULT_CHUNK_BYTES, **options: Any) -> np.ndarray:
    """Token ids of `source` as a read-only memory map, encoded once and reused while unchanged.

    Returns the same ids as `stream_token_ids` (an unsigned dtype; cast batches, not the whole).
    Stdin is never cached (it cannot be fingerprinted): its ids are read into memory.
    """
    resolved = resolve_paths(source, options.get("pattern", "*.txt"))
    dtype = narrowest_unsigned(tokenizer.vocab_size)
    if STDIN in resolved:
        blocks = list(stream_token_ids(source, tokenizer, line_eos, chunk_bytes, **options))
        return np.concatenate(blocks).astype(dtype) if blocks else np.zeros(0, dtype)
    cache_dir = Path(cache_dir)
    key = cache_key([Path(p) for p in resolved], tokenizer, line_eos, options)
    ids_path, meta_path = cache_dir / f"{key}.ids", cache_dir / f"{key}.json"
    with cache_lock(cache_dir):
        meta = read_cache_meta(meta_path, CACHE_VERSION)
        if meta is None or not ids_path.is_file() or \
                ids_path.stat().st_size != meta["length"] * np.dtype(meta["dtype"]).itemsize:
            cache_dir.mkdir(parents=True, exist_ok=True)
            blocks = stream_token_ids(source, tokenizer, line_eos, chunk_bytes, **options)
            length = write_token_ids(blocks, dtype, ids_path)
            meta = {"dtype": dtype.name, "length": length, "version": CACHE_VERSION}
            with atomic_write(meta_path) as file:
                json.dump(meta, file)
            remove_stale(cache_dir, keep=key)
        return mapped_token_ids(ids_path, np.dtype(meta["dtype"]), meta["length"])


def write_token_ids(blocks: Iterable[np.ndarray], dtype: np.dtype, path: str | Path) -> int:
    """Write id blocks to `path` (atomically) as raw `dtype` values; the number written."""
    length = 0
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        for block in blocks:
            stream.write(np.ascontiguousarray(block, dtype=dtype).data)
            length += block.size
    return length


def mapped_token_ids(path: str | Path, dtype: np.dtype, length: int) -> np.ndarray:
    """The ids `write_token_ids` wrote, as a read-only memory map (an empty array for none)."""
    if length == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(length,))


def read_cache_meta(path: Path, version: int) -> dict[str, Any] | None:
    """A cache's JSON meta file, or None when it is missing, unreadable or of another
    `version` (the id caches of corpora, labelled rows and pairs share this)."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("version") != version:
        return None
    return meta


def remove_stale(cache_dir: str | Path, keep: str) -> None:
    """Delete the cache entries in `cache_dir` other than those of key `keep` (old corpus
    versions, other options): only what seqlab's caches wrote, recognised by name and
    manifest (`cache_folder.remove_other_entries`); a user's files there stay."""
    remove_other_entries(cache_dir, keep)
