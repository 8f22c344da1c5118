"""A corpus that is one long line (text8) is read in parts cut at whitespace, not whole:
n-gram sentences and word2vec sentences equal those of the whole line, tokenized at once."""

from __future__ import annotations

import random

import pytest

from seqlab.nlp import corpora
from seqlab.nlp.corpora import iter_line_parts, iter_lines
from seqlab.nlp.ngram.sentences import LineTokens, file_sentences


def _text8_like(words=3000, seed=0):
    rng = random.Random(seed)
    vocab = ["the", "of", "and", "anarchism", "originated", "as", "a", "term", "x",
             "don't", "caf\u00e9", "\u65e5\u672c", "U.S.", "extraordinarily" * 3]
    return " " + " ".join(rng.choice(vocab) for _ in range(words))  # text8: no newline


@pytest.mark.parametrize("chunk_bytes", [1, 3, 16, 256])
def test_line_parts_join_to_the_lines_and_stay_small(tmp_path, chunk_bytes):
    text = _text8_like() + "\r\n  two \t words \r\n\r\nlast\r"
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode())
    parts = list(iter_line_parts(path, chunk_bytes=chunk_bytes))
    lines, line = [], ""
    for part, ends in parts:
        line += part
        if ends:
            lines.append(line)
            line = ""
    expected = [line.removesuffix("\r") for line in text.split("\n")[:-1]] + ["last\r"]
    assert lines == list(iter_lines(path)) == expected
    assert len(parts) > len(text) // (4 * chunk_bytes + 64)  # a long line in many parts
    longest_word = 3 * len("extraordinarily") + 2  # a part: a read (<= 5 chunks) and a word
    assert max(len(p) for p, _ in parts) <= 5 * chunk_bytes + 2 * longest_word


@pytest.mark.parametrize("chunk_bytes", [1, 5, 64])
def test_ngram_sentences_of_a_long_line_equal_the_whole_line(tmp_path, monkeypatch,
                                                            chunk_bytes):
    text = _text8_like() + "\n" + " \u00a0 \n" + _text8_like(500, seed=1)
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode())
    monkeypatch.setattr(corpora, "COUNTING_CHUNK_BYTES", chunk_bytes)
    for level in ("word", "whitespace", "char"):
        for lowercase in (False, True):
            tokens = LineTokens(level, lowercase)
            expected = [t for t in map(tokens, text.split("\n")) if t]
            assert list(file_sentences([path], tokens)) == expected, (level, lowercase)


def test_the_arpa_of_a_long_line_read_in_parts_is_the_whole_lines(tmp_path, monkeypatch):
    from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa

    path = tmp_path / "c.txt"
    path.write_bytes(_text8_like(2000).encode())
    tokens = LineTokens("whitespace")
    whole = tmp_path / "whole.arpa"
    train_kneser_ney_arpa([path.read_text().split()], 3, whole, 1 << 26, 1,
                          scratch_dir=tmp_path)
    monkeypatch.setattr(corpora, "COUNTING_CHUNK_BYTES", 7)
    parted = tmp_path / "parted.arpa"
    train_kneser_ney_arpa(file_sentences([path], tokens), 3, parted, 1 << 26, 1,
                          scratch_dir=tmp_path)
    assert parted.read_bytes() == whole.read_bytes()


def test_a_long_lines_text_is_never_tokenized_whole(tmp_path, monkeypatch):
    """The line's str is never built: each text the tokenizer sees is about a chunk."""
    path = tmp_path / "c.txt"
    path.write_bytes(_text8_like(3000).encode())
    monkeypatch.setattr(corpora, "COUNTING_CHUNK_BYTES", 64)
    seen = []
    real_call = LineTokens.__call__

    def recording(self, line):
        seen.append(len(line))
        return real_call(self, line)

    monkeypatch.setattr(LineTokens, "__call__", recording)
    for level in ("word", "char"):
        sentences = list(file_sentences([path], LineTokens(level)))
        assert len(sentences) == 1 and len(sentences[0]) >= 3000
    assert seen and max(seen) <= 5 * 64 + 100 < path.stat().st_size


def _line_sentence(text, most):
    """gensim's LineSentence, re-written: each line's `split()` in slices of `most` tokens."""
    sentences = []
    for line in text.splitlines():
        tokens = line.split()
        sentences += [tokens[i:i + most] for i in range(0, len(tokens), most)]
    return sentences


@pytest.mark.parametrize(("chunk_bytes", "most"), [(1, 7), (5, 10), (64, 10000), (4096, 3)])
def test_word2vec_sentences_are_cut_as_gensims_line_sentence(tmp_path, chunk_bytes, most):
    from seqlab.nlp.corpora import TokenizedLines

    text = (_text8_like(25_003) + "\n" + "one two three four five six seven\n\n"
            + " ".join(["w"] * 20) + "\n" + _text8_like(40, seed=2))
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode())
    lines = TokenizedLines(path, str.split, chunk_bytes=chunk_bytes, max_sentence_length=most)
    expected = _line_sentence(text, most)
    assert list(lines) == expected and list(lines) == expected  # and again: re-iterable
    if most == 10000:
        gensim = pytest.importorskip("gensim.models.word2vec")
        assert list(gensim.LineSentence(str(path))) == expected
