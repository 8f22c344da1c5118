"""Tell UTF-16 / UTF-32 text from binary data by its first bytes, and say how to convert it;
the one line every reader gives for a file that is not UTF-8 (`not_utf8_message`)."""

from __future__ import annotations

import codecs
import os
import shlex
from pathlib import PurePath
from typing import BinaryIO

from seqlab.autograd.compressed_text import compressed_message

# Longest first: a UTF-32-LE byte-order mark starts with the UTF-16-LE one.
_MARKS = (
    (codecs.BOM_UTF32_LE, "UTF-32", "little-endian, with a byte-order mark"),
    (codecs.BOM_UTF32_BE, "UTF-32", "big-endian, with a byte-order mark"),
    (codecs.BOM_UTF16_LE, "UTF-16", "little-endian, with a byte-order mark"),
    (codecs.BOM_UTF16_BE, "UTF-16", "big-endian, with a byte-order mark"),
)
# Bytes looked at for NULs in every other byte (UTF-16 without a mark: mostly Latin text).
SNIFF_BYTES = 512
_MIN_PAIRS = 4
_BLOCK = 1 << 20  # bytes decoded at a time when looking for a file's first byte that is not UTF-8
# what to do about bytes that are not UTF-8 (the CLI names its --errors option instead)
UTF8_REMEDY = "pass errors='replace' to substitute U+FFFD, or convert the file to UTF-8"


def wide_encoding(head: bytes) -> tuple[str, str] | None:
    """(iconv encoding name, description) when a file's first bytes `head` look like UTF-16 or
    UTF-32 text: a byte-order mark, or (UTF-16 without one) NUL bytes in at least half of the
    odd or the even positions of the first `SNIFF_BYTES` and in none of the others, as Latin
    text in UTF-16 has. None otherwise (binary data, or text in a byte-wide encoding)."""
    for mark, name, what in _MARKS:
        if head.startswith(mark) and len(head) >= len(mark):
            return name, what
    sample = head[:SNIFF_BYTES]
    pairs = len(sample) // 2
    if pairs < _MIN_PAIRS:
        return None
    even_nuls = sample[0:2 * pairs:2].count(0)
    odd_nuls = sample[1:2 * pairs:2].count(0)
    if odd_nuls * 2 >= pairs and even_nuls == 0:
        return "UTF-16LE", "little-endian, without a byte-order mark"
    if even_nuls * 2 >= pairs and odd_nuls == 0:
        return "UTF-16BE", "big-endian, without a byte-order mark"
    return None


def wide_text_message(name: str, head: bytes, path: str | None = None) -> str | None:
    """One line saying that `name` (a file or stream, first bytes `head`) is UTF-16/32 text,
    with the iconv command that converts file `path` to UTF-8 (FILE when None); None when it
    does not look like such text."""
    found = wide_encoding(head)
    if found is None:
        return None
    encoding, what = found
    if path is None:
        source, target = "FILE", "FILE.utf8.txt"
    else:
        file = PurePath(path)
        source = shlex.quote(path)
        target = shlex.quote(str(file.with_name(f"{file.stem}.utf8{file.suffix or '.txt'}")))
    return (f"{name} looks like {encoding[:6]} text ({what}), not UTF-8; convert it first: "
            f"iconv -f {encoding} -t UTF-8 {source} > {target}")


def not_utf8_message(path: str | os.PathLike[str], remedy: str = UTF8_REMEDY) -> str:
    """One line for file `path`, which a reader found is not UTF-8: `wide_text_message`'s when
    it is UTF-16/32 text, `compressed_message`'s when it is gzip / bzip2 / xz / zstd data, else
    `PATH:LINE: not UTF-8 text (byte offset N); REMEDY` naming its first byte that is not
    UTF-8 (found by reading it again: call it on the error path only)."""
    name = os.fspath(path)
    found = None
    try:
        if not os.path.isfile(path):  # a pipe cannot be read again (and a FIFO would block)
            raise FileNotFoundError(name)
        with open(path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
            wide = (wide_text_message(name, head, name)
                    or compressed_message(name, head, name, stdin=False))
            if wide is not None:
                return wide
            stream.seek(0)
            found = _first_invalid_byte(stream)
    except OSError:  # a pipe, or gone or unreadable since: what the reader knew
        pass
    if found is None:
        return f"{name} is not UTF-8 text; {remedy}"
    offset, line = found
    return f"{name}:{line}: not UTF-8 text (byte offset {offset}); {remedy}"


def _first_invalid_byte(stream: BinaryIO) -> tuple[int, int] | None:
    """(byte offset, line number from 1) of the first byte of `stream` that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line = 0, 1
    while True:
        block = stream.read(_BLOCK)
        pending = decoder.getstate()[0]  # a split character's bytes kept from the last block
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as error:
            where = offset - len(pending) + error.start
            return where, line + block[:max(0, where - offset)].count(b"\n")
        if not block:
            return None
        line += block.count(b"\n")
        offset += len(block)
