"""Read text from files, folders or stdin in streamed chunks, with a chosen error policy."""

from __future__ import annotations

import codecs
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

STDIN = "-"
DEFAULT_CHUNK_BYTES = 1 << 20
# For a pass that only counts (word2vec's vocabulary and epochs, BPE's pre-tokens): what a
# piece becomes (a list of line strings, of token strings: ~50 bytes an item) lives while the
# piece is counted, so the piece size is a transient on top of the peak. Measured on 10 MB:
# counting BPE pre-tokens +28 MB over the start at 1 MiB pieces, +7 MB at 256 KiB; splitting
# into tokenized lines +13 / +2 MB; the same seconds either way.
COUNTING_CHUNK_BYTES = 256 << 10
ERROR_POLICIES = ("strict", "replace", "ignore")
# A chunk may grow past chunk_bytes only while it has no newline; beyond this many bytes it is cut.
_MAX_LINE_CARRY_FACTOR = 4

Source = str | Path | Sequence[str | Path]


class CorpusDecodeError(ValueError):
    """A file's bytes are not valid in the requested encoding."""


def resolve_paths(source: Source, pattern: str = "*.txt") -> list[str | Path]:
    """Expand a source into files: a file, '-' (stdin), a folder (recursive `pattern`), a list."""
    items = [source] if isinstance(source, str | Path) else list(source)
    if not items:
        raise ValueError("no input given: pass a file, a folder, '-' for stdin, or a list of them")
    resolved: list[str | Path] = []
    for item in items:
        if str(item) == STDIN:
            resolved.append(STDIN)
            continue
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob(pattern) if p.is_file())
            if not found:
                raise FileNotFoundError(f"no files matching {pattern!r} under folder {path}")
            resolved.extend(found)
        elif path.is_file():
            resolved.append(path)
        else:
            raise FileNotFoundError(f"input file or folder not found: {path}")
    return resolved


def _checks_nul(encoding: str) -> bool:
    # UTF-16/32 text is full of NUL bytes; in every other encoding a NUL means binary data.
    name = codecs.lookup(encoding).name
    return not name.startswith(("utf-16", "utf-32"))


def _decoded_blocks(
    stream: BinaryIO, name: str, encoding: str, errors: str, chunk_bytes: int
) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    check_nul = _checks_nul(encoding)
    offset = 0
    final = False
    while not final:
        block = stream.read(chunk_bytes)
        final = not block
        if check_nul and b"\x00" in block:
            where = offset + block.index(b"\x00")
            raise ValueError(
                f"{name} looks like a binary file (NUL byte at byte offset {where}); "
                "seqlab reads text files only"
            )
        pending = len(decoder.getstate()[0])  # bytes of a split character kept from the last block
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as error:
            where = offset - pending + error.start
            raise CorpusDecodeError(
                f"{name}: invalid {encoding} data at byte offset {where} ({error.reason}); "
                "pass errors='replace' to substitute U+FFFD, or the right encoding"
            ) from error
        offset += len(block)
        if text:
            yield text


def _line_aligned(blocks: Iterable[str], chunk_bytes: int) -> Iterator[str]:
    carry = ""
    for block in blocks:
        carry += block
        cut = carry.rfind("\n") + 1
        if cut == 0 and len(carry) > _MAX_LINE_CARRY_FACTOR * chunk_bytes:
            cut = len(carry)  # one enormous line: cut it rather than hold it all
        if cut:
            yield carry[:cut]
            carry = carry[cut:]
    if carry:
        yield carry


def iter_chunks(
    source: Source,
    encoding: str = "utf-8",
    errors: str = "strict",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    pattern: str = "*.txt",
    stdin: BinaryIO | None = None,
) -> Iterator[str]:
    """Stream text in chunks of about chunk_bytes, cut at line ends; files are joined by a newline.

    errors='strict' raises CorpusDecodeError naming the file and byte offset; 'replace' puts
    U+FFFD in place of bad bytes. A file with NUL bytes is rejected as binary (ValueError).
    """
    if errors not in ERROR_POLICIES:
        raise ValueError(f"errors must be one of {ERROR_POLICIES}, got {errors!r}")
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be >= 1, got {chunk_bytes}")
    codecs.lookup(encoding)  # LookupError with the codec name before any file is opened
    paths = resolve_paths(source, pattern)
    for number, path in enumerate(paths):
        ends_with_newline = True
        if path == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            blocks = _decoded_blocks(stream, "<stdin>", encoding, errors, chunk_bytes)
            for chunk in _line_aligned(blocks, chunk_bytes):
                ends_with_newline = chunk.endswith("\n")
                yield chunk
        else:
            with open(path, "rb") as stream:
                blocks = _decoded_blocks(stream, str(path), encoding, errors, chunk_bytes)
                for chunk in _line_aligned(blocks, chunk_bytes):
                    ends_with_newline = chunk.endswith("\n")
                    yield chunk
        if not ends_with_newline and number + 1 < len(paths):
            yield "\n"  # so the last line of one file never runs into the first of the next


def iter_lines(source: Source, keep_ends: bool = False, **options) -> Iterator[str]:
    """Stream lines split at "\n" (ending and any "\r" dropped unless keep_ends); options as in
    iter_chunks."""
    for chunk in iter_chunks(source, **options):
        lines = chunk.split("\n")
        last = lines.pop()  # "" when the chunk ends with a newline, else an unterminated line
        for line in lines:
            yield line + "\n" if keep_ends else line.removesuffix("\r")
        if last:
            yield last if keep_ends else last.removesuffix("\r")


def read_text(source: Source, **options) -> str:
    """Read a whole source into one string (use iter_chunks for inputs that do not fit)."""
    return "".join(iter_chunks(source, **options))
