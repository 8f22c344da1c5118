"""A UTF-8 byte-order mark starts many files saved on Windows ("CSV UTF-8", Notepad): the
streamed readers drop it at the start of each file, as the utf-8-sig codec does, and keep a
U+FEFF anywhere else; UTF-16/32 text is named as such, with the command that converts it."""

from __future__ import annotations

import codecs
import io
from itertools import pairwise

import numpy as np
import pytest

from seqlab.nlp.corpora import (
    FileRange,
    TokenizedLines,
    cached_token_ids,
    iter_chunks,
    iter_lines,
    read_text,
    stream_token_ids,
)
from seqlab.nlp.tokenizers import CharTokenizer

TEXT = "héllo wörld\nsecond line ☃\n\ufeffa line that starts with U+FEFF\nlast"
BOM = codecs.BOM_UTF8


@pytest.fixture()
def files(tmp_path):
    with_mark = tmp_path / "marked.txt"
    with_mark.write_bytes(BOM + TEXT.encode("utf-8"))
    plain = tmp_path / "plain.txt"
    plain.write_bytes(TEXT.encode("utf-8"))
    return with_mark, plain


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 1 << 20])
@pytest.mark.parametrize("errors", ["strict", "replace", "ignore"])
def test_mark_dropped_at_file_start_as_utf8_sig_does(files, chunk_bytes, errors):
    with_mark, plain = files
    expected = with_mark.read_bytes().decode("utf-8-sig")
    assert expected == TEXT  # the U+FEFF inside stays, as in utf-8-sig
    assert "".join(iter_chunks(with_mark, chunk_bytes=chunk_bytes, errors=errors)) == expected
    assert list(iter_lines(with_mark, chunk_bytes=chunk_bytes, errors=errors)) == \
        list(iter_lines(plain, chunk_bytes=chunk_bytes, errors=errors))
    assert read_text(with_mark, chunk_bytes=chunk_bytes) == read_text(plain)


def test_stdin_and_every_file_of_a_folder_lose_their_mark(tmp_path, files):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_bytes(BOM + b"first file\n")
    (folder / "b.txt").write_bytes(BOM + b"second file")
    assert read_text(folder) == "first file\nsecond file"
    with_mark, _ = files
    piped = io.BytesIO(with_mark.read_bytes())
    assert "".join(iter_chunks("-", stdin=piped, chunk_bytes=4)) == TEXT


def test_only_a_mark_at_byte_zero_is_dropped(tmp_path):
    # a file that starts with bad bytes and then a mark: utf-8-sig keeps the U+FEFF
    path = tmp_path / "late.txt"
    path.write_bytes(b"\xff" + BOM + b"x")
    assert read_text(path, errors="ignore") == "\ufeffx"
    assert read_text(path, errors="replace") == "\ufffd\ufeffx"


def test_byte_ranges_read_as_the_whole_file(files):
    with_mark, _ = files
    data = with_mark.read_bytes()
    cuts = [0] + [i + 1 for i, byte in enumerate(data) if byte == 0x0A] + [len(data)]
    whole = list(iter_lines(with_mark, keep_ends=True))
    ranged = list(iter_lines([FileRange(with_mark, a, b) for a, b in pairwise(cuts)],
                             keep_ends=True))
    assert "".join(ranged) == "".join(whole) == TEXT
    # the range that starts with the line "\ufeffa line ..." keeps its U+FEFF
    assert any(line.startswith("\ufeffa line") for line in ranged)


def test_token_ids_streamed_and_cached_ignore_the_mark(files, tmp_path):
    with_mark, plain = files
    tokenizer = CharTokenizer.train(TEXT)
    expected = np.asarray(tokenizer.encode(TEXT))
    for source in (with_mark, plain):
        streamed = np.concatenate(list(stream_token_ids(source, tokenizer, chunk_bytes=3)))
        np.testing.assert_array_equal(streamed, expected)
        cached = cached_token_ids(source, tokenizer, tmp_path / f"cache-{source.stem}")
        np.testing.assert_array_equal(cached.astype(np.int64), expected)


def test_tokenized_lines_see_no_mark(files):
    with_mark, plain = files
    split = str.split
    assert list(TokenizedLines(with_mark, split, chunk_bytes=2)) == \
        list(TokenizedLines(plain, split, chunk_bytes=2)) == [split(x) for x in TEXT.split("\n")]


@pytest.mark.parametrize("codec, named, iconv", [
    ("utf-16", "UTF-16", "iconv -f UTF-16 -t UTF-8"),
    ("utf-16-be", None, "iconv -f UTF-16BE -t UTF-8"),
    ("utf-16-le", None, "iconv -f UTF-16LE -t UTF-8"),
    ("utf-32", "UTF-32", "iconv -f UTF-32 -t UTF-8"),
])
def test_wide_unicode_is_named_with_the_command_that_converts_it(tmp_path, codec, named, iconv):
    path = tmp_path / "wide.txt"
    data = "hello world, some Latin text\nand a second line\n".encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data  # a mark, big-endian
        iconv = "iconv -f UTF-16 -t UTF-8"
    path.write_bytes(data)
    with pytest.raises(ValueError) as caught:
        read_text(path)
    message = str(caught.value)
    assert "looks like UTF-" in message and "binary" not in message, message
    assert f"{iconv} {path} > {tmp_path / 'wide.utf8.txt'}" in message, message
    if named is None and codec == "utf-16-le":
        assert "without a byte-order mark" in message


def test_big_endian_utf16_without_mark_and_real_binary(tmp_path):
    path = tmp_path / "be.txt"
    path.write_bytes("plain words here\n".encode("utf-16-be"))
    with pytest.raises(ValueError, match="iconv -f UTF-16BE -t UTF-8"):
        read_text(path)
    binary = tmp_path / "data.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match=r"looks like a binary file \(NUL byte at byte offset 0\)"):
        read_text(binary)


def test_wide_text_on_stdin_names_no_file():
    piped = io.BytesIO("text on a pipe\n".encode("utf-16"))
    with pytest.raises(ValueError, match=r"<stdin> looks like UTF-16 .*iconv -f UTF-16 -t "
                       r"UTF-8 FILE > FILE\.utf8\.txt"):
        read_text("-", stdin=piped)
