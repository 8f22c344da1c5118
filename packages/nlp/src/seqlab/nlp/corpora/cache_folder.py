"""Which files in an id-cache folder seqlab's caches wrote, and removing only those.

A cache folder (`NAME.cache` beside a model, or any folder a library user passes) may hold
files of the user's own: seqlab removes only what its caches wrote, as PyTorch Lightning's
`ModelCheckpoint` deletes only the checkpoints it saved. A cache entry is recognised by its
name and by its manifest, never by an extension alone:

- every entry is named by its key, `token_cache.cache_key`'s 32 lowercase hex digits;
- its manifest is the JSON meta file written last (`<key>.json` for the corpus and
  labelled-row caches, `<key>.pairs.json` for pairs), which must read as a seqlab cache meta:
  a JSON object with an integer "version" and the fields its cache writes ("dtype" and
  "length"; the pair segments). The manifest names the data files it describes
  (`<key>.ids`, `<key>.offsets`, `<key>.<segment>.ids|.offsets`), and only those go with it.

A user's `settings.json`, `keep.ids` or `0123....json` holding anything else is never removed.
Data files left without their manifest (a run killed between the two renames) are seqlab's by
name but not provably: they are not removed (the same key's next build replaces them).
This module imports no NumPy: the CLI asks it before any work starts.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from seqlab.autograd.file_lock import MARK as LOCK_MARK

PAIR_SEGMENTS = ("train-source", "train-target", "valid-source", "valid-target")
LOCK_NAME = ".seqlab-lock"  # `token_cache.cache_lock`'s file
# the lock's name before lock files had a mark line (seqlab of 5 December 2026): a killed run
# left it, empty or holding its holder line, `file_lock.describe_process`'s "process PID on ..."
_OLD_LOCK_NAME, _OLD_LOCK_HEAD = ".lock", b"process "
_KEY = r"[0-9a-f]{32}"
_ROWS_META = re.compile(rf"({_KEY})\.json")
_PAIRS_META = re.compile(rf"({_KEY})\.pairs\.json")
_SEGMENT = "|".join(re.escape(segment) for segment in PAIR_SEGMENTS)
_DATA = re.compile(rf"{_KEY}(?:\.(?:{_SEGMENT}))?\.(?:ids|offsets)")
# an atomic write's temporary of one of those names (`.NAME.XXXXXXXX.tmp`), a copy of stdin
_TEMPORARY = re.compile(rf"\.{_KEY}(?:\.(?:{_SEGMENT}|pairs))?\.(?:ids|offsets|json)"
                        r"\.[a-z0-9_]{8}\.tmp")
_STDIN_COPY = re.compile(r"\.stdin-\d+-[0-9a-f]{8}\.txt")  # `spool.copy_stdin`'s name
_MANIFEST_BYTES = 1 << 16  # a seqlab meta is a few hundred bytes


def _manifest(path: Path) -> dict[str, Any] | None:
    """The JSON object at `path` when it is a regular file holding one, else None."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MANIFEST_BYTES:
            return None
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or type(meta.get("version")) is not int:
        return None
    return meta


def _is_ids_meta(meta: dict[str, Any]) -> bool:
    return isinstance(meta.get("dtype"), str) and type(meta.get("length")) is int


def _is_pairs_meta(meta: dict[str, Any]) -> bool:
    return all(isinstance(meta.get(segment), dict) for segment in PAIR_SEGMENTS)


def cache_entries(folder: str | os.PathLike[str]) -> dict[str, list[Path]]:
    """seqlab's cache entries in `folder`: key -> the files its manifests describe (those
    present, each manifest last, so removing them in order never strands a data file)."""
    folder = Path(folder)
    entries: dict[str, list[Path]] = {}
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return entries
    present = set(names)
    for name in names:
        if match := _ROWS_META.fullmatch(name):
            key, data, valid = match[1], (".ids", ".offsets"), _is_ids_meta
        elif match := _PAIRS_META.fullmatch(name):
            key, valid = match[1], _is_pairs_meta
            data = tuple(f".{segment}{ext}" for segment in PAIR_SEGMENTS
                         for ext in (".ids", ".offsets"))
        else:
            continue
        meta = _manifest(folder / name)
        if meta is None or not valid(meta):
            continue
        owned = [folder / f"{key}{suffix}" for suffix in data if f"{key}{suffix}" in present]
        entries.setdefault(key, []).extend(
            path for path in owned if not path.is_symlink() and path.is_file())
        entries[key].append(folder / name)
    return entries


def _is_lock_file(path: Path, mark: bytes = LOCK_MARK.encode("utf-8")) -> bool:
    """`cache_lock`'s lock file: empty or starting with `mark`, the lock mark (a run on a file
    system without locks leaves an empty one)."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with open(path, "rb") as stream:
            head = stream.read(len(mark))
    except OSError:
        return False
    return head in (b"", mark)


def foreign_entries(folder: str | os.PathLike[str]) -> list[Path]:
    """What in `folder` seqlab's caches did not write: everything but the entries
    `cache_entries` recognises, the lock file (and an older seqlab's), data files named by a
    key (left without their manifest), atomic temporaries of those names and copies of
    stdin. Sorted; empty for a folder that does not exist."""
    folder = Path(folder)
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return []
    ours = {path.name for paths in cache_entries(folder).values() for path in paths}
    foreign = []
    for name in names:
        path = folder / name
        if name in ours or (name == LOCK_NAME and _is_lock_file(path)) or (
                name == _OLD_LOCK_NAME and _is_lock_file(path, _OLD_LOCK_HEAD)):
            continue
        if not path.is_symlink() and path.is_file() and (
                _DATA.fullmatch(name) or _TEMPORARY.fullmatch(name)
                or _STDIN_COPY.fullmatch(name)):
            continue
        foreign.append(path)
    return foreign


def remove_other_entries(folder: str | os.PathLike[str], keep: str) -> list[Path]:
    """Delete seqlab's cache entries in `folder` other than key `keep` (older versions of the
    files, other options); files seqlab did not write stay. Returns what was removed. Call it
    holding the folder's `cache_lock`."""
    removed = []
    for key, paths in cache_entries(folder).items():
        if key == keep:
            continue
        for path in paths:  # the manifest last
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed
