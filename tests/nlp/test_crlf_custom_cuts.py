"""A custom tokenizer pattern is cut only after a bare "\\n" between two non-space characters,
never after "\\r\\n" (GPT-2's `\\s+(?!\\S)|\\s+` splits "a\\r\\nb" as "\\r", "\\n" in the whole
text but takes "\\r\\n" whole at a piece's end): streamed ids equal the whole text's for
GPT-2, cl100k-like and simple patterns on LF and CRLF text; CRLF text gets the forced cut."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from seqlab.nlp.corpora import iter_pieces, safe_pieces, stream_token_ids
from seqlab.nlp.tokenizers import BPETokenizer, WordTokenizer

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# cl100k / Llama-3 style: "\r\n" and whitespace runs before a line end are one pre-token
CL100K = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
          r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
PATTERNS = [GPT2, CL100K, r"\S+", r"\w+|[^\w\s]+|\s+", r"\S+|\r\n"]


def _text(ending: str) -> str:
    return "".join(f"w{i % 7} x{i % 5}.{ending}" + (f"  {ending}" if i % 9 == 0 else "")
                   + ("y's\t" if i % 4 == 0 else "") for i in range(3000))


@pytest.mark.parametrize("ending", ["\r\n", "\n"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_custom_pattern_streams_the_whole_texts_ids(tmp_path, pattern, ending):
    text = _text(ending)
    path = tmp_path / "corpus.txt"
    path.write_bytes(text.encode())
    tokenizers = [WordTokenizer.train(text[:5000], pattern=pattern)]
    if pattern in (GPT2, CL100K):
        tokenizers.append(BPETokenizer.train(text[:5000], vocab_size=300, pattern=pattern))
    for tokenizer in tokenizers:
        whole = tokenizer.encode(text)
        for chunk_bytes in (5, 64, 1000):
            streamed = np.concatenate(list(stream_token_ids(path, tokenizer,
                                                            chunk_bytes=chunk_bytes)))
            np.testing.assert_array_equal(streamed, whole)


def test_crlf_text_is_not_cut_after_the_pair_but_forced_with_a_warning(tmp_path, caplog):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"one two\r\nthree, four.\r\n" * 20_000)
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        pieces = list(iter_pieces(path, chunk_bytes=4096, builtin=False))
    assert len(caplog.records) == 1 and "no tokenizer-safe cut" in caplog.text
    assert "".join(pieces) == path.read_bytes().decode()
    assert len(pieces) > 1 and max(map(len, pieces)) <= 64 * 4096 + 4096


def test_a_cut_needs_a_bare_newline_with_text_on_both_sides():
    pieces = list(safe_pieces(["a\r\n", "\r\nb", "\r\n \r\nc\r\nd"], builtin=False))
    assert pieces == ["a\r\n\r\nb\r\n \r\nc\r\nd"]
    pieces = list(safe_pieces(["a\n", "\nb", "\n \nc\r\nd\ne"], builtin=False))
    assert pieces == ["a\n\nb\n \nc\r\nd\n", "e"]
