"""The word2vec.c vector file formats (text and binary), as gensim reads and writes them.

Both start with a header line ``"<count> <dimension>\\n"``. Text: one ``word v1 v2 ...`` line per
word. Binary: ``word`` + a space + ``dimension`` little-endian float32 values (gensim writes no
newline after the values; word2vec.c does: a newline before a word is skipped when reading).

seqlab marks the files it writes: a text file with two tabs at the end of the header line
(``"<count> <dimension>\\t\\t\\n"``: gensim's reader takes ``header.split()``, word2vec.c reads
the two numbers with ``fscanf("%lld")``, and a reader that splits on single spaces still gets
two fields, as ``int()`` ignores the tabs), a binary file with an empty line after the header
(``"<count> <dimension>\\n\\n"``: word2vec.c's readers (distance.c, bin2text) read each word
with ``fgetc`` up to a space, skipping only newlines, so tabs would become part of the first
word; gensim strips newlines before a binary word, as seqlab's reader does). The commands
recognise the mark and replace a file seqlab wrote without ``--force``.

GloVe's text files have no header: each line is ``word v1 v2 ...`` from the first. They are
read as gensim reads them with ``no_header=True`` (the count is the number of lines, the
dimension the first line's numbers); ``no_header=None`` tells them apart by the first line's
shape (`headerless_dimension`).
"""

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from seqlab.autograd.atomic import atomic_write

# After "<count> <dimension>" on the header line of every vectors file seqlab writes (kept in
# seqlab.cli.file_kinds too, so that checking an --out path imports no NumPy; a test checks
# they agree).
SEQLAB_HEADER_MARK = "\t\t"
# After the header line "<count> <dimension>\n" of a binary vectors file seqlab writes.
SEQLAB_BINARY_MARK = "\n"
_MARKED_HEADER = re.compile(rb"\d+ \d+(?:" + SEQLAB_HEADER_MARK.encode() + rb"\n|\n"
                            + SEQLAB_BINARY_MARK.encode() + rb")")


def has_seqlab_mark(start: bytes) -> bool:
    """Whether a vectors file's first bytes (its header line and the byte after it) carry
    seqlab's mark, the text or the binary one."""
    return _MARKED_HEADER.match(start) is not None


def check_writable_key(key: str) -> None:
    """ValueError naming a key the word2vec formats cannot hold: a space ends a key (text and
    binary) and a newline ends a text entry (and is dropped before a binary key), so neither
    gensim nor seqlab could read the file back. gensim's phrases join words with '_'."""
    if " " in key or "\n" in key:
        what = "a space" if " " in key else "a newline"
        raise ValueError(
            f"key {key!r} holds {what}, which the word2vec formats cannot hold (a space ends "
            "a key, a newline an entry: the file could not be read back); rename it, joining "
            "a phrase's words with '_' as gensim's Phrases does ('new_york')")


def write_word2vec_format(
    path: str | Path, keys: list[str], vectors: np.ndarray, binary: bool = False
) -> None:
    """Write keys and their rows of vectors to path in word2vec text or binary format;
    ValueError naming the first key holding a space or newline, before anything is written."""
    count, dimension = vectors.shape
    if len(keys) != count:
        raise ValueError(f"{len(keys)} keys but {count} vectors")
    for key in keys:
        check_writable_key(key)
    rows = vectors.astype(np.float32, copy=False)
    with atomic_write(path, "wb") as out:
        mark = f"\n{SEQLAB_BINARY_MARK}" if binary else f"{SEQLAB_HEADER_MARK}\n"
        out.write(f"{count} {dimension}{mark}".encode())
        for key, row in zip(keys, rows):
            if binary:
                out.write(f"{key} ".encode() + row.astype("<f4").tobytes())
            else:
                # str() of a float32 is the shortest text that reads back to the same float32
                out.write(f"{key} {' '.join(str(value) for value in row)}\n".encode())


class VectorsHeader(NamedTuple):
    """What a vectors file's first bytes say: its size, its format and who wrote it
    (`has_header` False: GloVe text, whose count is its number of lines)."""

    count: int
    dimension: int
    binary: bool
    written_by_seqlab: bool
    has_header: bool = True


def headerless_dimension(first_line: bytes) -> int | None:
    """The dimension of a GloVe (headerless) text file whose first line this is: a word and
    at least one number, not the two integers of a word2vec header; else None."""
    fields = first_line.split()
    if len(fields) < 2 or (len(fields) == 2 and all(f.isdigit() for f in fields)):
        return None
    try:
        [float(value) for value in fields[1:]]
    except ValueError:
        return None
    return len(fields) - 1


def _count_lines(stream) -> int:
    """Lines from the stream's position to its end (a last line without a newline counts)."""
    count, last = 0, b"\n"
    while block := stream.read(1 << 20):
        count += block.count(b"\n")
        last = block[-1:]
    return count + (last != b"\n")


def read_word2vec_header(path: str | Path, no_header: bool | None = None) -> VectorsHeader:
    """The header of a word2vec text or binary file, its format and seqlab's mark, read from
    its first bytes (the vectors are not read); a GloVe file (no header; `no_header` None:
    detected) is counted. ValueError for a file of another kind."""
    with open(path, "rb") as stream:
        header = stream.readline(1024)
        dimension = _headerless(header, no_header, path)
        if dimension is not None:
            stream.seek(0)
            return VectorsHeader(_count_lines(stream), dimension, False, False, False)
        count, dimension = _parse_header(header, path)
        first = stream.read(min(16 * dimension + 1024, 1 << 20))
    binary = bool(count and first) and looks_binary(first, dimension)
    return VectorsHeader(count, dimension, binary, has_seqlab_mark(header + first[:1]))


def _headerless(first_line: bytes, no_header: bool | None, path: str | Path) -> int | None:
    """The dimension when the file is read as headerless text (GloVe), else None."""
    if no_header is False:
        return None
    dimension = headerless_dimension(first_line)
    if dimension is None and no_header:
        raise ValueError(f"{path}, line 1: expected 'word v1 v2 ...' (no_header), got "
                         f"{_shown(first_line)}")
    return dimension


def _shown(line: bytes) -> str:
    """A line of a file as a message shows it: text, at most 60 characters."""
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


def _parse_header(line: bytes, path: str | Path) -> tuple[int, int]:
    try:
        count, dimension = (int(field) for field in line.decode("utf8").split())
    except ValueError:
        glove = headerless_dimension(line) is not None
        raise ValueError(
            f"{path}, line 1: expected a header 'COUNT DIM', got {_shown(line)}; "
            + ("it looks like GloVe (no header): read it with no_header=True, or add "
               "'COUNT DIM' as line 1" if glove else
               "is this a word2vec-format vectors file?")
        ) from None
    if count < 0 or dimension <= 0:
        raise ValueError(f"{path}, line 1: invalid header counts {count} {dimension}")
    return count, dimension


def _read_text(lines, path, count, dimension, encoding, unicode_errors, first_line=2):
    keys: list[str] = []
    vectors = np.empty((count, dimension), dtype=np.float32)
    for row in range(count):
        line_number = row + first_line
        line = lines.readline()
        if not line:
            raise ValueError(
                f"{path}, line {line_number}: file ends after {row} of the {count} vectors "
                "the header announces"
            )
        parts = line.decode(encoding, errors=unicode_errors).rstrip().split(" ")
        if len(parts) != dimension + 1:
            raise ValueError(
                f"{path}, line {line_number}: expected a word and {dimension} numbers, "
                f"got {len(parts) - 1} numbers"
            )
        try:
            vectors[row] = [float(value) for value in parts[1:]]
        except ValueError:
            raise ValueError(f"{path}, line {line_number}: a value is not a number") from None
        keys.append(parts[0])
    return keys, vectors


def _read_binary(stream, path, count, dimension, encoding, unicode_errors):
    keys: list[str] = []
    vectors = np.empty((count, dimension), dtype=np.float32)
    bytes_per_vector = 4 * dimension
    data = stream.read()
    position = 0
    for row in range(count):
        while data[position : position + 1] == b"\n":  # word2vec.c puts a newline after each vector
            position += 1
        space = data.find(b" ", position)
        if space < 0 or space + 1 + bytes_per_vector > len(data):
            raise ValueError(
                f"{path}, entry {row + 1}: file ends after {row} of the {count} vectors "
                "the header announces"
            )
        keys.append(data[position:space].decode(encoding, errors=unicode_errors))
        position = space + 1
        vectors[row] = np.frombuffer(data, dtype="<f4", count=dimension, offset=position)
        position += bytes_per_vector
    return keys, vectors


def looks_binary(first_entry: bytes, dimension: int) -> bool:
    """Whether the bytes after the header are a binary entry: text is a line of a word and
    `dimension` numbers, which raw float32 bytes practically never are."""
    line = first_entry.split(b"\n", 1)[0]
    fields = line.split()
    if len(fields) < dimension + 1:
        return True
    try:  # the last `dimension` fields: a key may hold a tab or another space but ' '
        [float(value) for value in fields[-dimension:]]
    except ValueError:
        return True
    return False


def _check_sizes(path: str | Path, count: int, dimension: int, binary: bool,
                 available: int) -> None:
    """Refuse a header that announces more data than the file holds, before allocating it."""
    smallest_entry = (4 * dimension + 2) if binary else (2 * dimension + 2)
    if count * smallest_entry > available:
        raise ValueError(
            f"{path}, line 1: the header announces {count} vectors of dimension {dimension}, "
            f"at least {count * smallest_entry:,} bytes, but the file holds only {available:,} "
            "after it: the header is wrong or the file is truncated"
        )


def read_word2vec_format(
    path: str | Path,
    binary: bool | None = False,
    limit: int | None = None,
    encoding: str = "utf8",
    unicode_errors: str = "strict",
    no_header: bool | None = False,
) -> tuple[list[str], np.ndarray]:
    """Read (keys, float32 vectors) from a word2vec text or binary file; at most `limit` vectors.

    `binary=None` detects the format; a file of the other format than the one asked for is a
    ValueError saying so (not vectors read as garbage). `no_header=True` reads GloVe text
    (no header line), as gensim's `no_header`; `no_header=None` detects it.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"word2vec file {str(path)!r} does not exist")
    size = Path(path).stat().st_size
    with open(path, "rb") as stream:
        header = stream.readline(1024)
        dimension = _headerless(header, no_header, path)
        if dimension is not None:
            if binary:
                raise ValueError(f"{path}: a file without a header (GloVe) is text; read it "
                                 "with binary=False")
            stream.seek(0)
            count = _count_lines(stream)
            stream.seek(0)
            count = count if limit is None else min(count, limit)
            return _read_text(stream, path, count, dimension, encoding, unicode_errors, 1)
        count, dimension = _parse_header(header, path)
        if limit is not None:
            count = min(count, limit)
        start = stream.tell()
        _check_sizes(path, count, dimension, False, size - start)  # the smaller format's bound
        first = stream.read(min(16 * dimension + 1024, 1 << 20))
        stream.seek(start)
        if count == 0 or (b"\n" not in first and len(first) == 1 << 20):
            detected = bool(binary)  # nothing to judge by (or an entry longer than 1 MB)
        else:
            detected = looks_binary(first, dimension)
        if binary is None:
            binary = detected
        elif detected != binary:
            found, asked = ("binary", "text") if detected else ("text", "binary")
            raise ValueError(
                f"{path} is in the word2vec {found} format, but was read as {asked}; "
                f"read it as {found} (binary={detected}, or the matching --binary/--text)"
            )
        _check_sizes(path, count, dimension, binary, size - start)
        reader = _read_binary if binary else _read_text
        return reader(stream, path, count, dimension, encoding, unicode_errors)
