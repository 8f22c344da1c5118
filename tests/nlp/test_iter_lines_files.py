"""`iter_lines` over several files: the end of a file ends a line (no phantom empty line
between a file without a final newline and the next), and byte ranges of the files read the
same lines as the whole files."""

from __future__ import annotations

import pytest

from seqlab.nlp.corpora import FileRange, iter_chunks, iter_lines
from seqlab.nlp.ngram.distributed import shard_ranges

# Files with and without a final newline, CRLF, blank lines, empty files, and characters of
# two to four bytes (split across block borders by the small chunk sizes below).
FILES = [
    "first\nno end",
    "",
    "crlf\r\nanother\r\n",
    "caf\u00e9 \u20ac \U0001d11e\n\n\u00e9\u00e9\u00e9",
    "\n",
    "last \u20ac\u20ac \u00e9",
]


def _reference_lines(texts: list[str], keep_ends: bool) -> list[str]:
    """Each file's lines on its own (str.split, independent of the chunked reader)."""
    lines = []
    for text in texts:
        parts = text.split("\n")
        tail = parts.pop()
        if keep_ends:
            lines += [part + "\n" for part in parts]
        else:
            lines += [part.removesuffix("\r") for part in parts]
        if tail:
            lines.append(tail if keep_ends else tail.removesuffix("\r"))
    return lines


def _write(folder, texts):
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"{i}.txt"
        path.write_bytes(text.encode())
        paths.append(path)
    return paths


@pytest.mark.parametrize("chunk_bytes", [3, 4, 5, 7, 1 << 20])
@pytest.mark.parametrize("keep_ends", [False, True])
def test_a_file_end_ends_a_line_and_adds_no_empty_one(tmp_path, chunk_bytes, keep_ends):
    paths = _write(tmp_path, FILES)
    lines = list(iter_lines(paths, keep_ends=keep_ends, chunk_bytes=chunk_bytes))
    assert lines == _reference_lines(FILES, keep_ends)
    assert lines[1].startswith("no end") and lines[2].startswith("crlf")
    # each file alone gives its own lines, so the lines of the files are the lines of each
    alone = [line for path in paths
             for line in iter_lines(path, keep_ends=keep_ends, chunk_bytes=chunk_bytes)]
    assert alone == lines


def test_two_files_without_final_newlines_give_exactly_their_lines(tmp_path):
    paths = _write(tmp_path, ["a", "b", "c\n"])
    assert list(iter_lines(paths)) == ["a", "b", "c"]
    assert list(iter_lines(paths, keep_ends=True)) == ["a", "b", "c\n"]
    # iter_chunks still joins the files by a newline, so the text never runs together
    assert "".join(iter_chunks(paths)) == "a\nb\nc\n"


@pytest.mark.parametrize("shards", [1, 2, 3, 5, 9])
@pytest.mark.parametrize("chunk_bytes", [3, 5, 1 << 20])
def test_ranges_of_the_files_read_exactly_the_whole_files_lines(tmp_path, shards,
                                                                chunk_bytes):
    paths = _write(tmp_path, FILES)
    groups = shard_ranges(paths, shards)
    assert sum(piece.stop - piece.start for group in groups for piece in group) == \
        sum(len(text.encode()) for text in FILES)
    for keep_ends in (False, True):
        whole = list(iter_lines(paths, keep_ends=keep_ends, chunk_bytes=chunk_bytes))
        ranged = [line for group in groups
                  for line in iter_lines(group, keep_ends=keep_ends, chunk_bytes=chunk_bytes)]
        assert ranged == whole
        # and each range alone: the lines of its bytes, whatever shard holds it
        pieces = [piece for group in groups for piece in group]
        single = [line for piece in pieces
                  for line in iter_lines(FileRange(piece.path, piece.start, piece.stop),
                                         keep_ends=keep_ends, chunk_bytes=chunk_bytes)]
        assert single == whole


@pytest.mark.parametrize("length", range(8, 30))
def test_a_line_longer_than_four_blocks_comes_whole(tmp_path, length):
    """A line longer than 4 chunks (where iter_chunks cuts it) is one line, and its \r\n
    ending is dropped whole wherever the cut falls."""
    path = tmp_path / "long.txt"
    text = "y" * length + "\r\nz\r\n" + "w" * length + "\n"
    path.write_bytes(text.encode())
    assert list(iter_lines(path, chunk_bytes=2)) == ["y" * length, "z", "w" * length]
    assert "".join(iter_lines(path, keep_ends=True, chunk_bytes=2)) == text
