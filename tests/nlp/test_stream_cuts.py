"""Where `safe_pieces` cuts: often enough that memory is bounded on ordinary text (indented
paragraphs, trailing spaces, tab-indented lines, CRLF one-word lines), never where the
tokenizer's own pattern would tokenize differently (a custom pattern keeping "\\r\\n"
together), and a bounded forced cut with one warning where no safe cut comes."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.corpora import (
    builtin_pattern,
    iter_lines,
    iter_pieces,
    safe_pieces,
    stream_token_ids,
)
from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer
from seqlab.nlp.tokenizers.bpe import PRETOKEN_PATTERN_BEFORE_HF

# cl100k / Llama-3 style: "\r\n" and whitespace runs before a line end are one pre-token
CRLF_PATTERN = r" ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
# with what the BPE split before format 3 (Python's classes) and HF's split class otherwise:
# "_", "\u00b2", "\u216b", \x1c-\x1f, a combining mark
ALPHABET = list("ab1'. \t\r\n\u3000\u00a0\x0b\x1c\x1f\u2028\u00e9\u732b_\u00b2\u216b\u0301")


def _chunks(text, size):
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("line", ["\u3000\u543e\u8f29\u306f\u732b\u3067\u3042\u308b\u3002"
                                  "\u540d\u524d\u306f\u307e\u3060\u7121\u3044\u3002\n",
                                  "word \n", "\tword\n"])
def test_ordinary_text_is_cut_into_chunk_sized_pieces(tmp_path, line):
    """Indented paragraphs, trailing spaces and tab-indented lines have no "a\\nb" cut; they
    came out as one piece holding the whole corpus."""
    path = tmp_path / "corpus.txt"
    path.write_bytes(line.encode() * (200_000 // len(line.encode())))
    pieces = list(iter_pieces(path, chunk_bytes=4096))
    assert "".join(pieces) == path.read_text()
    assert len(pieces) > 40 and max(map(len, pieces)) <= 4096 + len(line)


def test_a_cut_between_cr_and_lf_across_chunks_is_seen():
    """Carried text ending "c\\r\\n" has its "\\r" | "\\n" cut 3 characters back."""
    pieces = list(safe_pieces(["abc\r\n"] * 1000))
    assert len(pieces) == 1000 and "".join(pieces) == "abc\r\n" * 1000
    assert max(map(len, pieces)) <= 6  # "\nabc\r", and the last "\nabc\r\n"


def test_crlf_lines_read_in_tiny_chunks_are_cut(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"abc\r\n" * 1000)
    pieces = list(iter_pieces(path, chunk_bytes=4))
    assert len(pieces) > 900 and "".join(pieces) == "abc\r\n" * 1000


def test_a_cut_never_lands_in_text_already_given():
    """A cut seen in the context before the carried text would cut a yielded piece again."""
    for size in range(1, 6):
        text = "a\r\nb c\r\n\r\nd \te\n" * 5
        assert "".join(safe_pieces(_chunks(text, size))) == text


@settings(deadline=None, max_examples=400)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=80), st.integers(1, 6))
def test_whitespace_cuts_keep_the_builtin_tokens(text, piece_size):
    pieces = list(safe_pieces(_chunks(text, piece_size)))
    assert "".join(pieces) == text
    words = WordTokenizer()
    for bpe in (BPETokenizer(), BPETokenizer(pattern=PRETOKEN_PATTERN_BEFORE_HF)):
        assert builtin_pattern(bpe)
        assert [t for p in pieces for t in bpe.pretokenize(p)] == bpe.pretokenize(text)
    assert [t for p in pieces for t in words.tokenize(p)] == words.tokenize(text)
    chars = CharTokenizer.train(text or "x")
    assert [i for p in pieces for i in chars.encode(p)] == chars.encode(text)


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=80), st.integers(1, 6))
def test_a_custom_pattern_gets_line_end_cuts_only(text, piece_size):
    bpe = BPETokenizer(pattern=CRLF_PATTERN)
    assert not builtin_pattern(bpe) and builtin_pattern(BPETokenizer())
    pieces = list(safe_pieces(_chunks(text, piece_size), builtin=False))
    assert [t for p in pieces for t in bpe.pretokenize(p)] == bpe.pretokenize(text)


def test_a_space_before_a_unit_separator_is_no_cut():
    """HF's split reads \x1c-\x1f as symbols: " \x1c" is one pre-token, so the cut before
    the space-like \x1c that `re` would make there would split it."""
    text = "x \x1cy" * 50
    pieces = list(safe_pieces(_chunks(text, 3)))
    bpe = BPETokenizer()
    assert " \x1c" in bpe.pretokenize(text)
    assert [t for p in pieces for t in bpe.pretokenize(p)] == bpe.pretokenize(text)


def test_a_crlf_keeping_pattern_streams_the_whole_texts_ids(tmp_path):
    text = "hello\r\nworld\r\n" * 30 + "again  \r\n\tthere\n"
    tokenizer = BPETokenizer.train(text, vocab_size=300, min_frequency=2, pattern=CRLF_PATTERN)
    assert "\r\n" in BPETokenizer(pattern=CRLF_PATTERN).pretokenize("hello\r\nworld")
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode())
    for chunk_bytes in (1, 3, 7, 64):
        streamed = np.concatenate(list(stream_token_ids(path, tokenizer,
                                                        chunk_bytes=chunk_bytes)))
        np.testing.assert_array_equal(streamed, tokenizer.encode(text))


def test_no_safe_cut_is_cut_anyway_past_max_carry_with_one_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        pieces = list(safe_pieces(["x" * 10] * 100, max_carry=50))
    assert "".join(pieces) == "x" * 1000
    assert max(map(len, pieces)) <= 60 and len(pieces) >= 15
    assert len(caplog.records) == 1 and "no tokenizer-safe cut" in caplog.records[0].message


def test_a_lone_cr_at_the_end_of_a_file_is_kept(tmp_path):
    path = tmp_path / "cr.txt"
    for data, lines in ((b"a\nb\r", ["a", "b\r"]), (b"a\r\nb\r\n", ["a", "b"]),
                        (b"\r", ["\r"])):
        path.write_bytes(data)
        for chunk_bytes in (1, 2, 64):
            assert list(iter_lines(path, chunk_bytes=chunk_bytes)) == lines
            assert list(iter_lines(path, chunk_bytes=chunk_bytes, keep_cr=True)) == \
                data.decode().split("\n")[:len(lines)]
