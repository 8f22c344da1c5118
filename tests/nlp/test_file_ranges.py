"""Byte ranges of files (`corpora.FileRange`) cut by `distributed.shard_ranges` read exactly the
lines that reading the whole files gives, whatever the line endings, characters and cut points."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.corpora import CorpusDecodeError, FileRange, iter_lines
from seqlab.nlp.ngram.distributed import shard_ranges

# Pieces of text that stress the cut points: line endings of every kind, characters of two to
# four bytes, a BOM (at a file's start and after a newline), a byte that is not UTF-8.
PIECES = [b"a", b"bc ", b" ", b"\n", b"\r\n", b"\r", b"\n\n", "\u00e9".encode(),
          "\u20ac".encode(), "\U0001d11e".encode(), b"\xef\xbb\xbf", b"x" * 40]
BAD = b"\xff"

files_strategy = st.lists(st.lists(st.sampled_from([*PIECES, BAD]), max_size=40).map(b"".join),
                          min_size=1, max_size=3)


def _write(folder, contents: list[bytes]):
    paths = []
    for i, data in enumerate(contents):
        path = folder / f"{i}.txt"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _check_cover(paths, groups) -> None:
    """The ranges are contiguous, in reading order, cover every byte, and each starts and ends
    a file or just after a newline."""
    pieces = list(itertools.chain.from_iterable(groups))
    assert all(groups) and all(piece.start < piece.stop for piece in pieces)
    position = {str(p): 0 for p in paths}
    order = [str(p) for p in paths if p.stat().st_size]
    assert [key for key, _ in itertools.groupby(piece.path for piece in pieces)] == order
    for piece in pieces:
        data = Path(piece.path).read_bytes()
        assert piece.start == position[piece.path]
        assert piece.start == 0 or data[piece.start - 1:piece.start] == b"\n"
        assert piece.stop == len(data) or data[piece.stop - 1:piece.stop] == b"\n"
        position[piece.path] = piece.stop
    assert all(position[str(p)] == p.stat().st_size for p in paths)


@settings(max_examples=150, deadline=None)
@given(contents=files_strategy, shards=st.integers(1, 7), chunk_bytes=st.integers(1, 12),
       keep_ends=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig"]))
def test_ranges_read_the_lines_of_the_whole_files(contents, shards, chunk_bytes, keep_ends,
                                                  encoding):
    # a tiny chunk_bytes makes every line "very long": the reader cuts lines longer than
    # 4 chunks at block borders, and a range must cut them at the same places
    with tempfile.TemporaryDirectory() as folder:
        _check_ranges(Path(folder), contents, shards, chunk_bytes, keep_ends, encoding)


def _check_ranges(folder, contents, shards, chunk_bytes, keep_ends, encoding) -> None:
    paths = _write(folder, contents)
    options = dict(keep_ends=keep_ends, chunk_bytes=chunk_bytes, encoding=encoding,
                   errors="replace")
    groups = shard_ranges(paths, shards)
    if not any(contents):
        assert groups == []
        return
    _check_cover(paths, groups)
    assert len(groups) <= shards
    whole = list(iter_lines(paths, **options))
    ranged = []
    for group in groups:
        ranged += iter_lines(group, **options)
    assert ranged == whole


def test_one_file_is_shared_about_equally_and_a_long_line_stays_whole(tmp_path):
    path = tmp_path / "one.txt"
    path.write_bytes(b"".join(f"line {i} caf\u00e9 \u20ac\r\n".encode() for i in range(1000)))
    groups = shard_ranges([path], 4)
    assert len(groups) == 4 and all(len(group) == 1 for group in groups)
    sizes = [group[0].stop - group[0].start for group in groups]
    assert max(sizes) - min(sizes) < 2 * len("line 999 café €\r\n".encode())
    # one line longer than a shard: the cut moves to the newline after it
    long = tmp_path / "long.txt"
    long.write_bytes(b"short\n" + b"y" * 5000 + b"\nend\nlast")
    groups = shard_ranges([long], 4)
    _check_cover([long], groups)
    assert [(g[0].start, g[0].stop) for g in groups] == [(0, 5007), (5007, 5015)]
    ranged = [*iter_lines(groups[0], chunk_bytes=64), *iter_lines(groups[1], chunk_bytes=64)]
    assert ranged == list(iter_lines(long, chunk_bytes=64))
    assert ranged[0] == "short" and ranged[-2:] == ["end", "last"]


def test_a_bom_is_stripped_only_at_the_start_of_the_file(tmp_path):
    path = tmp_path / "bom.txt"
    bom = b"\xef\xbb\xbf"
    path.write_bytes(bom + b"first\n" + bom + b"second\n")
    assert list(iter_lines(FileRange(path, 0, 9), encoding="utf-8-sig")) == ["first"]
    assert list(iter_lines(FileRange(path, 9, 19), encoding="utf-8-sig")) == ["\ufeffsecond"]
    assert list(iter_lines(path, encoding="utf-8-sig")) == ["first", "\ufeffsecond"]


def test_a_range_must_cut_after_a_newline_and_decode_errors_name_the_file_offset(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\nstill ok\nbad \xff here\n")
    with pytest.raises(ValueError, match="just after a newline at byte 4"):
        list(iter_lines(FileRange(path, 4, 12)))
    with pytest.raises(ValueError, match="not inside the file"):
        list(iter_lines(FileRange(path, 0, 99)))
    with pytest.raises(ValueError, match="encoding in which"):
        list(iter_lines(FileRange(path, 3, 12), encoding="utf-16"))
    with pytest.raises(CorpusDecodeError, match="at byte offset 16"):
        list(iter_lines(FileRange(path, 12, 23), chunk_bytes=5))
    assert list(iter_lines(FileRange(path, 12, 23), errors="replace")) == ["bad \ufffd here"]
