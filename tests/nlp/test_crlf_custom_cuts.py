"""A custom tokenizer pattern on CRLF text is cut after each whole "\\r\\n" between two
non-space characters: bounded pieces with no forced cut (it was cut every 64 chunks with a
warning), and the ids of the whole text."""

from __future__ import annotations

import logging

import numpy as np

from seqlab.nlp.corpora import iter_pieces, safe_pieces, stream_token_ids
from seqlab.nlp.tokenizers import BPETokenizer, WordTokenizer

# cl100k / Llama-3 style: "\r\n" and whitespace runs before a line end are one pre-token
CRLF_PATTERN = r" ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def test_crlf_lines_are_cut_for_a_custom_pattern_without_a_forced_cut(tmp_path, caplog):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"one two\r\nthree, four.\r\n" * 20_000)
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        pieces = list(iter_pieces(path, chunk_bytes=4096, builtin=False))
    assert not caplog.records
    assert "".join(pieces) == path.read_bytes().decode()
    assert len(pieces) > 100 and max(map(len, pieces)) <= 4096 + 32
    assert all(piece.endswith("\r\n") for piece in pieces)  # the pair is never split


def test_a_custom_pattern_streams_the_whole_texts_ids_on_crlf_text(tmp_path):
    text = "".join(f"w{i % 7} x{i % 5}.\r\n" + ("  \r\n" if i % 9 == 0 else "")
                   for i in range(3000))
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode())
    bpe = BPETokenizer.train(text[:5000], vocab_size=300, pattern=CRLF_PATTERN)
    words = WordTokenizer.train(text[:5000], pattern=r"\S+|\r\n")
    for tokenizer in (bpe, words):
        for chunk_bytes in (5, 64, 1000):
            streamed = np.concatenate(list(stream_token_ids(path, tokenizer,
                                                            chunk_bytes=chunk_bytes)))
            np.testing.assert_array_equal(streamed, tokenizer.encode(text))


def test_a_cut_after_crlf_needs_text_on_both_sides():
    pieces = list(safe_pieces(["a\r\n", "\r\nb", "\r\n \r\nc\r\nd"], builtin=False))
    assert "".join(pieces) == "a\r\n\r\nb\r\n \r\nc\r\nd"
    assert pieces == ["a\r\n\r\nb\r\n \r\nc\r\n", "d"]
