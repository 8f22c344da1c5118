"""A tokenizer's own pattern cuts a streamed corpus only where that pattern splits the two
sides apart as it splits them together (`safe_pieces(..., token_pattern=...)`): streamed ids
equal the whole text's on LF, CRLF, CR and mixed line endings, lines longer than a chunk and
multi-byte characters split across chunk borders, for GPT-2, cl100k-like and simple patterns;
CRLF text is no longer cut by force (with its warning) every 64 chunks."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from seqlab.nlp.corpora import iter_pieces, safe_pieces, stream_token_ids
from seqlab.nlp.tokenizers import BPETokenizer, WordTokenizer
from seqlab.nlp.tokenizers.patterns import Splitter

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
CL100K = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
          r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
PATTERNS = [GPT2, CL100K, r"\S+", r"\w+|[^\w\s]+|\s+", r"\S+|\r\n", r"[^\n]+\n?",
            r"(?m)^\S+|\S+|\s+$|\s", r"(?<=\s\s)\S+|\S|\s+(?=\S\S)|\s"]
ENDINGS = ["\r\n", "\n", "\r"]


def _mixed_text(count: int = 2500, seed: int = 0) -> str:
    """Lines ending in CRLF, LF or CR at random, blank lines, trailing spaces, multi-byte
    words, and now and then a line far longer than a chunk."""
    rng = np.random.default_rng(seed)
    words = ["w1", "naïve", "中文", "x's", "😀ok", "a.b", "  ", "\t", "9,5"]
    lines = []
    for i in range(count):
        length = 300 if i % 500 == 7 else int(rng.integers(0, 6))
        line = " ".join(rng.choice(words, length))
        lines.append(line + ("  " if i % 11 == 0 else "") + str(rng.choice(ENDINGS)))
    return "".join(lines) + "tail without ending"


def _spans_of(pattern):
    return Splitter(pattern, (), "test pattern").spans


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_cut_splits_as_the_whole_text(pattern):
    text = _mixed_text(800, seed=1)
    chunks = [text[i:i + 97] for i in range(0, len(text), 97)]
    pieces = list(safe_pieces(chunks, max_carry=1 << 20, builtin=False, token_pattern=pattern))
    assert "".join(pieces) == text
    assert len(pieces) > 5
    spans = _spans_of(pattern)
    tokens = [text[a:b] for a, b in spans(text)]
    assert [piece[a:b] for piece in pieces for a, b in spans(piece)] == tokens


@pytest.mark.parametrize("pattern", PATTERNS)
def test_streamed_ids_equal_the_whole_texts_on_mixed_endings(tmp_path, pattern, caplog):
    text = _mixed_text()
    path = tmp_path / "corpus.txt"
    path.write_bytes(text.encode())
    tokenizers = [WordTokenizer.train(text, pattern=pattern)]
    if pattern in (GPT2, CL100K):
        tokenizers.append(BPETokenizer.train(text[:20_000], vocab_size=400, pattern=pattern))
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        for tokenizer in tokenizers:
            whole = tokenizer.encode(text)
            for chunk_bytes in (7, 64, 1000):  # multi-byte characters split across chunks
                streamed = np.concatenate(list(stream_token_ids(path, tokenizer,
                                                                chunk_bytes=chunk_bytes)))
                np.testing.assert_array_equal(streamed, whole)
    assert not caplog.records


@pytest.mark.parametrize("ending", ENDINGS)
def test_crlf_and_cr_text_is_cut_in_bounded_pieces_without_a_forced_cut(tmp_path, caplog,
                                                                         ending):
    path = tmp_path / "lines.txt"
    path.write_bytes(f"one two{ending}three, four.{ending}".encode() * 20_000)
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        pieces = list(iter_pieces(path, chunk_bytes=4096, builtin=False, token_pattern=GPT2))
    assert not caplog.records
    assert "".join(pieces) == path.read_bytes().decode()
    # the reader's chunks end at a "\n" (CR text: at 4 chunk sizes): a cut in each of them
    assert len(pieces) > 20 and max(map(len, pieces)) <= 6 * 4096


def test_a_pattern_with_no_safe_cut_is_cut_by_force_once_with_a_warning(caplog):
    text = "abc def\r\n" * 20_000
    chunks = [text[i:i + 4096] for i in range(0, len(text), 4096)]
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        pieces = list(safe_pieces(chunks, max_carry=40_000, builtin=False,
                                  token_pattern=r"(?s).+"))  # one match: never cut
    assert len(caplog.records) == 1 and "no cut" in caplog.text
    assert "".join(pieces) == text and max(map(len, pieces)) <= 40_000 + 4096


@pytest.mark.parametrize("pattern", [GPT2, CL100K])
def test_a_crlf_corpus_streams_the_whole_texts_ids_without_a_forced_cut(tmp_path, caplog,
                                                                        pattern):
    text = "".join(f"w{i % 7} x{i % 5}, naïve.\r\n" + ("  \r\n" if i % 9 == 0 else "")
                   for i in range(30_000))  # over 64 chunks of 4 KiB: the old forced cut
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode())
    tokenizer = BPETokenizer.train(text[:20_000], vocab_size=300, pattern=pattern)
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        streamed = np.concatenate(list(stream_token_ids(path, tokenizer, chunk_bytes=4096)))
    assert not caplog.records
    np.testing.assert_array_equal(streamed, tokenizer.encode(text))
