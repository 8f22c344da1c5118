"""Read text from files, folders or stdin in streamed chunks, with a chosen error policy."""

from __future__ import annotations

import codecs
import fnmatch
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple

from seqlab.autograd.wide_text import SNIFF_BYTES, wide_text_message
from seqlab.nlp.corpora.special_files import special_file_message

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


def decode_utf8(data: bytes, errors: str = "strict") -> str:
    """`data` (a whole file's bytes) as UTF-8 text, a byte-order mark at byte 0 dropped as
    utf-8-sig drops it (a U+FEFF that `errors` leaves at the start is text); offsets in a
    UnicodeDecodeError are the file's own."""
    text = data.decode("utf-8", errors)
    return text[1:] if data.startswith(codecs.BOM_UTF8) else text


def decode_input(data: bytes, name: str, path: str | None = None, errors: str = "strict") -> str:
    """All of a small input (a prompt, a passage, one text of a folder) as text by the rules of
    the streamed readers: `errors` for bytes that are not UTF-8, a byte-order mark dropped only
    at byte 0 (`decode_utf8`), UTF-16/32 text named with the iconv command that converts `path`
    (FILE when None), NUL bytes refused as binary data. `name` says what the input is in the
    messages; a ValueError (CorpusDecodeError for undecodable bytes) otherwise."""
    if errors not in ERROR_POLICIES:
        raise ValueError(f"errors must be one of {ERROR_POLICIES}, got {errors!r}")
    from seqlab.autograd.compressed_text import compressed_message

    wide = (wide_text_message(name, data[:SNIFF_BYTES], path)
            or compressed_message(name, data[:SNIFF_BYTES], path))
    if wide is not None:
        raise ValueError(wide)
    if b"\x00" in data:
        raise ValueError(f"{name} holds a NUL byte at byte offset {data.index(0)}: it looks like "
                         "a binary file, not text; seqlab reads text files only")
    try:
        return decode_utf8(data, errors)
    except UnicodeDecodeError as error:
        raise CorpusDecodeError(f"{name} is not UTF-8 text (invalid byte at byte offset "
                                f"{error.start}: {error.reason}); pass errors='replace' to "
                                "substitute U+FFFD, or the right encoding") from error


class FileRange(NamedTuple):
    """Bytes start..stop of a file, read by `iter_chunks` / `iter_lines` exactly as those lines
    are read in the whole file: start is 0 or just after a b"\n", stop is the file's size or
    just after a b"\n" (so no line or character is split). Needs an encoding in which the
    byte b"\n" is always a line end (UTF-8, ASCII, Latin-1; not UTF-16/32); a range that
    does not start the file never has a UTF-8 BOM stripped (only byte 0 can hold one)."""

    path: str | Path
    start: int
    stop: int


Source = str | Path | FileRange | Sequence[str | Path | FileRange]


class CorpusDecodeError(ValueError):
    """A file's bytes are not valid in the requested encoding."""


_log = logging.getLogger(__name__)
_NOTED_FOLDERS: set[tuple[str, str]] = set()  # (folder, pattern) whose skipped files were named


def folder_files(folder: Path, pattern: str = "*.txt") -> list[Path]:
    """The files under `folder` (recursively, sorted) whose name matches `pattern` in any case
    (`*.txt` takes `Y.TXT`), as a folder argument is read. The first time a folder skips
    files, one warning says how many and their extensions: a file is read only when named."""
    found, skipped = [], {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if fnmatch.fnmatchcase(path.name.lower(), pattern.lower()):
            found.append(path)
        else:
            kind = path.suffix.lower() or "no extension"
            skipped[kind] = skipped.get(kind, 0) + 1
    if skipped and (str(folder), pattern) not in _NOTED_FOLDERS:
        _NOTED_FOLDERS.add((str(folder), pattern))
        kinds = ", ".join(f"{count} {kind}" for kind, count in
                          sorted(skipped.items(), key=lambda item: (-item[1], item[0])))
        _log.warning("note: folder %s: read %d %s file%s, skipped %d other%s (%s); name a "
                     "file to read it", folder, len(found), pattern, "" if len(found) == 1
                     else "s", sum(skipped.values()), "" if sum(skipped.values()) == 1
                     else "s", kinds)
    return found


def resolve_paths(source: Source, pattern: str = "*.txt") -> list[str | Path | FileRange]:
    """Expand a source into files: a file, '-' (stdin), a folder (`folder_files`: its files
    matching `pattern` in any case, recursively, with a note naming what it skips), a list
    (a FileRange stays as it is)."""
    items = [source] if isinstance(source, str | Path | FileRange) else list(source)
    if not items:
        raise ValueError("no input given: pass a file, a folder, '-' for stdin, or a list of them")
    resolved: list[str | Path | FileRange] = []
    for item in items:
        if isinstance(item, FileRange):
            resolved.append(item)
            continue
        if str(item) == STDIN:
            resolved.append(STDIN)
            continue
        if isinstance(item, str) and not item:  # Path("") is the current folder
            raise ValueError("an input path is empty: give a file, a folder or '-' for stdin")
        path = Path(item)
        if path.is_dir():
            found = folder_files(path, pattern)
            if not found:
                raise FileNotFoundError(f"no files matching {pattern!r} under folder {path}")
            resolved.extend(found)
        elif path.is_file():
            resolved.append(path)
        elif (special := special_file_message(path)) is not None:
            raise ValueError(special)
        else:
            raise FileNotFoundError(f"input file or folder not found: {path}")
    return resolved


def _not_text_message(name: str, head: bytes) -> str | None:
    """The line for a file whose first bytes `head` are UTF-16/32 text or compressed data."""
    from seqlab.autograd.compressed_text import compressed_message

    path = _file_name(name)
    return wide_text_message(name, head, path) or compressed_message(name, head, path)


def _checks_nul(encoding: str) -> bool:
    # UTF-16/32 text is full of NUL bytes; in every other encoding a NUL means binary data.
    name = codecs.lookup(encoding).name
    return not name.startswith(("utf-16", "utf-32"))


def _decoded_blocks(
    stream: BinaryIO, name: str, encoding: str, errors: str, chunk_bytes: int,
    start: int = 0, stop: int | None = None,
) -> Iterator[str]:
    # Reads from `start` (where the stream stands) to `stop`, in blocks aligned to multiples
    # of chunk_bytes in the file, as reading from byte 0 does: a range's text then comes in the
    # same blocks as in the whole file, so _line_aligned cuts an over-long line at the same places.
    # Read from byte 0 in UTF-8, a byte-order mark there is dropped, as utf-8-sig drops it.
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    check_nul = _checks_nul(encoding)
    strip_bom = start == 0 and codecs.lookup(encoding).name == "utf-8"
    head = b""  # the file's first bytes, to tell UTF-16/32 text from binary data
    offset = start
    final = False
    while not final:
        size = chunk_bytes - offset % chunk_bytes
        block = stream.read(size if stop is None else min(size, stop - offset))
        final = not block
        if start == 0 and len(head) < SNIFF_BYTES:
            head += block[:SNIFF_BYTES - len(head)]
        if check_nul and b"\x00" in block:
            where = offset + block.index(b"\x00")
            wide = _not_text_message(name, head) if start == 0 else None
            raise ValueError(wide or (
                f"{name} looks like a binary file (NUL byte at byte offset {where}); "
                "seqlab reads text files only"
            ))
        pending = len(decoder.getstate()[0])  # bytes of a split character kept from the last block
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as error:
            where = offset - pending + error.start
            wide = _not_text_message(name, head) if start == 0 else None
            raise CorpusDecodeError(wide or (
                f"{name} is not {_encoding_label(encoding)} text (invalid byte at byte offset "
                f"{where}: {error.reason}); "
                "pass errors='replace' to substitute U+FFFD, or the right encoding"
            )) from error
        offset += len(block)
        if text and strip_bom:
            strip_bom = False  # only the file's first character can be its mark
            if text[0] == "\ufeff" and head.startswith(codecs.BOM_UTF8):
                text = text[1:]
        if text:
            yield text


def _file_name(name: str) -> str | None:
    return None if name == "<stdin>" else name


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


def _is_utf8_sig(encoding: str) -> bool:
    return codecs.lookup(encoding).name == "utf-8-sig"


def _check_range(stream: BinaryIO, piece: FileRange, encoding: str) -> None:
    """ValueError unless `piece` is a whole number of lines of its file in `encoding`."""
    if not _is_utf8_sig(encoding) and (not _checks_nul(encoding) or
                                       "\n".encode(encoding) != b"\n"):
        raise ValueError(f"{piece.path}: byte ranges need an encoding in which b'\\n' ends a "
                         f"line (UTF-8, ASCII, Latin-1), not {encoding}; read the whole file")
    size = os.fstat(stream.fileno()).st_size
    if not 0 <= piece.start <= piece.stop <= size:
        raise ValueError(f"{piece.path}: byte range {piece.start}..{piece.stop} is not inside "
                         f"the file ({size} bytes)")
    for edge in (piece.start, piece.stop):
        if 0 < edge < size:
            stream.seek(edge - 1)
            if stream.read(1) != b"\n":
                raise ValueError(f"{piece.path}: byte range {piece.start}..{piece.stop} does "
                                 f"not cut just after a newline at byte {edge}")


def _file_chunks(
    source: Source,
    encoding: str,
    errors: str,
    chunk_bytes: int,
    pattern: str,
    stdin: BinaryIO | None,
) -> Iterator[tuple[bool, Iterator[str]]]:
    """(is the last file, its chunks cut at line ends) for each file of `source`, in order;
    each file's chunks must be consumed before the next file's."""
    if errors not in ERROR_POLICIES:
        raise ValueError(f"errors must be one of {ERROR_POLICIES}, got {errors!r}")
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be >= 1, got {chunk_bytes}")
    codecs.lookup(encoding)  # LookupError with the codec name before any file is opened
    paths = resolve_paths(source, pattern)
    for number, path in enumerate(paths):
        yield number + 1 == len(paths), _chunks_of(path, encoding, errors, chunk_bytes, stdin)


def _chunks_of(path: str | Path | FileRange, encoding: str, errors: str, chunk_bytes: int,
               stdin: BinaryIO | None) -> Iterator[str]:
    """The chunks of one file, byte range or stdin, cut at line ends."""
    if path == STDIN:
        stream = stdin if stdin is not None else sys.stdin.buffer
        blocks = _decoded_blocks(stream, "<stdin>", encoding, errors, chunk_bytes)
        yield from _line_aligned(blocks, chunk_bytes)
        return
    file = path.path if isinstance(path, FileRange) else path
    with open(file, "rb") as stream:
        start, stop, decoding = 0, None, encoding
        if isinstance(path, FileRange):
            _check_range(stream, path, encoding)
            start, stop = path.start, path.stop
            stream.seek(start)
            # utf-8-sig drops a BOM at the decoder's first bytes: only byte 0 has one
            if start and _is_utf8_sig(encoding):
                decoding = "utf-8"
        blocks = _decoded_blocks(stream, str(file), decoding, errors, chunk_bytes, start, stop)
        yield from _line_aligned(blocks, chunk_bytes)


def iter_chunks(
    source: Source,
    encoding: str = "utf-8",
    errors: str = "strict",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    pattern: str = "*.txt",
    stdin: BinaryIO | None = None,
) -> Iterator[str]:
    """Stream text in chunks of about chunk_bytes, cut at line ends; files are joined by a newline.

    An item of `source` may be a FileRange: those bytes of a file, read as they are in the
    whole file (the same chunks' lines; decode errors name the offset in the file).

    errors='strict' raises CorpusDecodeError naming the file and byte offset; 'replace' puts
    U+FFFD in place of bad bytes. A file with NUL bytes is rejected as binary (ValueError).
    """
    for last_file, chunks in _file_chunks(source, encoding, errors, chunk_bytes, pattern, stdin):
        ends_with_newline = True
        for chunk in chunks:
            ends_with_newline = chunk.endswith("\n")
            yield chunk
        if not ends_with_newline and not last_file:
            yield "\n"  # so the last line of one file never runs into the first of the next


def iter_lines(
    source: Source,
    keep_ends: bool = False,
    encoding: str = "utf-8",
    errors: str = "strict",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    pattern: str = "*.txt",
    stdin: BinaryIO | None = None,
    keep_cr: bool = False,
) -> Iterator[str]:
    """Stream lines split at "\n" (ending and any "\r" before it dropped unless keep_ends;
    keep_cr drops the "\n" only, as `str.split("\n")` does); options as in iter_chunks.

    Every line comes whole, whatever its length, as `str.split("\n")` of the whole text cuts
    it (a "\r" not followed by "\n" is a character of its line, also at the end of a file):
    a line's memory is the line's, as in gensim's `LineSentence` or Python's file iteration,
    plus the chunk being read (up to `_MAX_LINE_CARRY_FACTOR` chunk sizes while a line has no
    newline) and that chunk's lines. The end of a file ends a line: a file without a final
    newline gives its last line and nothing more (with keep_ends, that line has no ending, as
    in the file), so each file, and each `FileRange` of it, gives the same lines read alone as
    among other files.
    """
    for _, chunks in _file_chunks(source, encoding, errors, chunk_bytes, pattern, stdin):
        parts: list[str] = []  # the start of a line longer than the chunks read so far
        for chunk in chunks:
            lines = chunk.split("\n")
            last = lines.pop()  # "" when the chunk ends with a newline, else a line going on
            if lines and parts:
                parts.append(lines[0])
                lines[0] = "".join(parts)
                parts = []
            if keep_ends:
                yield from (line + "\n" for line in lines)
            elif keep_cr:
                yield from lines
            else:
                yield from (line.removesuffix("\r") for line in lines)
            if last:
                parts.append(last)
        if parts:  # a last line without "\n": a "\r" ending it is one of its characters
            yield "".join(parts)


# After KenLM's whitespace only (seqlab.nlp.ngram.kenlm_split): U+00A0 and other Unicode spaces
# are inside a whitespace-level token, so a cut there would split one.
_LAST_TOKEN_START = re.compile("[ \t\n\r\x0b\x0c](?=[^ \t\n\r\x0b\x0c])")


def _token_cut(text: str) -> int:
    """The index of the last token's start in `text` (just after a whitespace character
    followed by a non-space one), or 0 when there is none."""
    last = 0
    for window in (256, 1 << 16, len(text)):
        for match in _LAST_TOKEN_START.finditer(text, max(0, len(text) - window)):
            last = match.end()
        if last or window >= len(text):
            return last
    return 0


def iter_line_parts(source: Source, **options) -> Iterator[tuple[str, bool]]:
    """(part, ends its line) for the lines of `iter_lines(source, **options)`, a line longer
    than the chunk being read coming in several parts cut at whitespace (just before a
    non-space character, so no whitespace-separated token is ever cut, and a "\r" ending
    the line stays in its last part). Joined, a line's parts are `iter_lines`'s line; memory
    is a chunk and the longest token, not the line."""
    for parts, last_open in line_part_batches(source, **options):
        yield from ((part, True) for part in parts[:-1])
        yield parts[-1], not last_open


def line_part_batches(
    source: Source,
    keep_ends: bool = False,
    encoding: str = "utf-8",
    errors: str = "strict",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    pattern: str = "*.txt",
    stdin: BinaryIO | None = None,
    keep_cr: bool = False,
) -> Iterator[tuple[list[str], bool]]:
    """`iter_line_parts` a chunk at a time, for loops without a Python step a line: (parts,
    whether the last part's line goes on); every other part ends its line, and the first part
    continues the previous batch's open line, if any. Never an empty list. Options as in
    `iter_lines`."""

    def ended(lines: list[str]) -> list[str]:
        if keep_ends:
            return [line + "\n" for line in lines]
        return lines if keep_cr else [line.removesuffix("\r") for line in lines]

    for _, chunks in _file_chunks(source, encoding, errors, chunk_bytes, pattern, stdin):
        carry: list[str] = []  # the open line's text after its last cut so far
        for chunk in chunks:
            lines = chunk.split("\n")
            last = lines.pop()
            if lines and carry:
                carry.append(lines[0])
                lines[0] = "".join(carry)
                carry = []
            lines = ended(lines)
            cut = _token_cut(last) if last else 0
            if cut:
                carry.append(last[:cut])
                lines.append("".join(carry))
                carry = [last[cut:]]
            elif last:
                carry.append(last)
            if lines:
                yield lines, bool(cut)
        if carry:  # a last line without "\n": a "\r" ending it is one of its characters
            yield ["".join(carry)], False


def read_text(source: Source, **options) -> str:
    """Read a whole source into one string (use iter_chunks for inputs that do not fit)."""
    return "".join(iter_chunks(source, **options))


def _encoding_label(encoding: str) -> str:
    """`utf-8` as users write it (UTF-8), so every reader's message says "is not UTF-8 text"."""
    return "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
