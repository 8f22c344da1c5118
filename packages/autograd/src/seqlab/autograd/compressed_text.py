"""Tell a compressed file from other binary data by its magic bytes, and say how to feed it.

seqlab's readers seek byte ranges of a text file (parallel counting, resumable offsets,
memory-mapped ids), which a compressed stream cannot give without decompressing it whole, so a
compressed corpus is refused with the pipe that feeds it decompressed on stdin (`-`), which
streams in constant memory.
"""

from __future__ import annotations

import shlex
from pathlib import PurePath

# (magic bytes at byte 0, format name, command that writes the text to stdout); gzip's third
# byte is its one compression method (deflate), so a Latin-1 text starting 1F 8B is not gzip
_FORMATS = (
    (b"\x1f\x8b\x08", "gzip", "gzip -dc"),
    (b"BZh", "bzip2", "bzip2 -dc"),
    (b"\xfd7zXZ\x00", "xz", "xz -dc"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstd -dc"),
)


def compression_of(head: bytes) -> tuple[str, str] | None:
    """(format name, decompressing command) when a file's first bytes `head` are a gzip,
    bzip2, xz or zstd header; None otherwise."""
    for magic, name, command in _FORMATS:
        if head.startswith(magic):
            if name == "bzip2" and not _is_bzip2(head):
                return None  # text may start with "BZh", even "BZh9 "
            return name, command
    return None


def compressed_message(name: str, head: bytes, path: str | None = None,
                       stdin: bool = True) -> str | None:
    """One line saying that `name` (first bytes `head`) is compressed, with the pipe that
    feeds file `path` (FILE when None) to a seqlab command decompressed; None when it is not.
    A reader whose command reads no stdin (`stdin=False`: the CSV / TSV tables) gives the
    command that decompresses it to a file instead."""
    found = compression_of(head)
    if found is None:
        return None
    kind, command = found
    source = "FILE" if path is None else shlex.quote(path)
    if not stdin:
        target = "FILE.txt" if path is None else shlex.quote(str(_decompressed_name(path)))
        return (f"{name} is {kind}-compressed, not text; seqlab reads plain text: decompress "
                f"it first: {command} {source} > {target}")
    return (f"{name} is {kind}-compressed, not text; seqlab reads plain text: feed it "
            f"decompressed on stdin, as `{command} {source} | seqlab ... -`")


_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")


def _decompressed_name(path: str) -> PurePath:
    """Where `path` decompressed goes: without its compression suffix (rows.csv.gz:
    rows.csv), else beside it with .plain before its suffix (rows.csv: rows.plain.csv)."""
    file = PurePath(path)
    if file.suffix.lower() in _SUFFIXES:
        return file.with_suffix("")
    return file.with_name(f"{file.stem}.plain{file.suffix or '.txt'}")


# after "BZh" and the block size digit: the first block's magic (pi) or, for an empty stream,
# the end-of-stream magic (sqrt(pi))
_BZIP2_BLOCKS = (b"1AY&SY", b"\x17rE8P\x90")


def _is_bzip2(head: bytes) -> bool:
    """Whether `head` starts with a whole bzip2 header: "BZh", a block size digit 1-9, then a
    block magic (text may start with "BZh9 ", never with both)."""
    return (len(head) >= 10 and head[3:4] in b"123456789"
            and head[4:10] in _BZIP2_BLOCKS)
