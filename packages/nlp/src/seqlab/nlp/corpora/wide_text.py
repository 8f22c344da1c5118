"""Tell UTF-16 / UTF-32 text from binary data by its first bytes, and say how to convert it."""

from __future__ import annotations

import codecs
import shlex
from pathlib import PurePath

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
