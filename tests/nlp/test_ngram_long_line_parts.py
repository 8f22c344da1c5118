"""A line of any length streams through n-gram counting and scoring: `file_sentences(...,
in_parts=True)` gives it as `ContinuedLine` parts of about a chunk, counting cuts its blocks
inside the sentence (carrying the context over) and scoring carries the last order - 1 ids,
so the tables, the ARPA file and the perplexity are the whole line's, and no step ever holds
more than a block or a part of it."""

from __future__ import annotations

import random

import numpy as np
import pytest

from seqlab.nlp import corpora, ngram
from seqlab.nlp.ngram import external
from seqlab.nlp.ngram.counting import count_ngrams
from seqlab.nlp.ngram.external import count_ngrams_external
from seqlab.nlp.ngram.sentences import ContinuedLine, LineTokens, file_sentences, whole_sentences
from seqlab.nlp.ngram.vocabulary import encode_corpus


def _text(words: int, seed: int) -> str:
    rng = random.Random(seed)
    vocab = ["the", "of", "and", "anarchism", "a", "term", "x", "caf\u00e9", "U.S.", "don't"]
    return " ".join(rng.choice(vocab) for _ in range(words))


def _corpus_file(tmp_path, text8_words=4000):
    """Short lines around two long ones (one with no newline at the end: text8)."""
    text = ("the cat sat\n" + _text(text8_words, 0) + "\n  \n a dog \n"
            + _text(text8_words // 2, 1))
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8")
    return path, text


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(corpora, "COUNTING_CHUNK_BYTES", 64)


@pytest.mark.parametrize("level", ["word", "whitespace", "char"])
def test_a_long_line_comes_in_parts_that_join_to_it(tmp_path, small_chunks, level):
    path, text = _corpus_file(tmp_path)
    tokens = LineTokens(level)
    items = list(file_sentences([path], tokens, in_parts=True))
    assert sum(isinstance(item, ContinuedLine) for item in items) > 50  # many parts
    assert max(map(len, items)) <= 5 * 64 + 20  # a part: about a read, never the line
    assert not isinstance(items[-1], ContinuedLine) and all(items)
    expected = [t for t in map(tokens, text.split("\n")) if t]
    assert list(whole_sentences(items)) == expected == list(file_sentences([path], tokens))


def test_a_blank_long_line_has_no_sentence_at_the_char_level(tmp_path, small_chunks):
    path = tmp_path / "c.txt"
    path.write_text("ab\n" + " " * 1000 + "\n" + " " * 500 + "cd" + " " * 300 + "\n")
    items = list(file_sentences([path], LineTokens("char"), in_parts=True))
    assert list(whole_sentences(items)) == [["a", "b"], ["\u2581"] * 500 + ["c", "d"]
                                            + ["\u2581"] * 300]


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_counts_of_a_long_line_in_parts_and_tiny_blocks_are_the_whole_lines(
        tmp_path, small_chunks, monkeypatch, order):
    path, _ = _corpus_file(tmp_path)
    tokens = LineTokens("word")
    whole = list(file_sentences([path], tokens))
    vocab, padded, position = encode_corpus(whole)
    expected = count_ngrams(padded, position, order, len(vocab))
    seen = []
    real_count_block = external.count_block

    def recording(ids, *args, **kwargs):
        seen.append(len(ids))
        return real_count_block(ids, *args, **kwargs)

    monkeypatch.setattr(external, "count_block", recording)
    got_vocab, tables = count_ngrams_external(
        file_sentences([path], tokens, in_parts=True), order, memory_bytes=200_000,
        scratch_dir=tmp_path)
    assert got_vocab == vocab
    for mine, theirs in zip(tables, expected, strict=True):
        for name in ("keys", "counts", "suffix", "parent"):
            np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name), name)
    block = external.Budget.of(200_000, order).block_tokens
    if order > 1:  # the 4,000-word line was counted a block (and one id before it) at a time
        assert max(seen) <= block + 1 < max(map(len, whole))


@pytest.mark.parametrize("level", ["word", "char"])
def test_the_arpa_of_a_long_line_in_parts_is_byte_for_byte_the_whole_lines(
        tmp_path, small_chunks, level):
    from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa

    path, _ = _corpus_file(tmp_path, 1500)
    tokens = LineTokens(level)
    whole, parted = tmp_path / "whole.arpa", tmp_path / "parted.arpa"
    train_kneser_ney_arpa(list(file_sentences([path], tokens)), 3, whole, 1 << 26,
                          scratch_dir=tmp_path)
    train_kneser_ney_arpa(file_sentences([path], tokens, in_parts=True), 3, parted, 200_000,
                          scratch_dir=tmp_path)
    assert parted.read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("model", [ngram.KneserNey(3), ngram.WittenBell(4), ngram.MLE(2),
                                   ngram.KneserNey(1)])
def test_the_perplexity_of_a_long_line_in_parts_is_the_whole_lines(tmp_path, small_chunks,
                                                                   monkeypatch, model):
    from seqlab.nlp.ngram import kernels

    path, _ = _corpus_file(tmp_path)
    tokens = LineTokens("word")
    whole = list(file_sentences([path], tokens))
    model.fit(whole[:3] + [s[:300] for s in whole[3:]])  # unseen n-grams in the test
    expected = model.perplexity_detail(whole)
    seen = []
    real_score = kernels.score_padded

    def recording(padded, *args):
        seen.append(len(padded))
        return real_score(padded, *args)

    monkeypatch.setattr(kernels, "score_padded", recording)
    got = model.perplexity_detail(file_sentences([path], tokens, in_parts=True))
    assert got == expected  # the same floats: the same log probabilities, fsum-ed
    assert max(seen) <= 5 * 64 + 20 + model.order < max(map(len, whole))


def test_sentence_logprobs_and_fit_take_the_parts_whole(tmp_path, small_chunks):
    path, _ = _corpus_file(tmp_path, 800)
    tokens = LineTokens("whitespace")
    whole = list(file_sentences([path], tokens))
    model = ngram.KneserNey(3).fit(file_sentences([path], tokens, in_parts=True))
    assert model.counts == ngram.KneserNey(3).fit(whole).counts
    np.testing.assert_array_equal(
        model.sentence_logprobs(file_sentences([path], tokens, in_parts=True)),
        model.sentence_logprobs(whole))


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5, 6])
def test_parts_shorter_than_the_context_keep_the_sentence_start(tmp_path, monkeypatch, order):
    """With 16-byte chunks a long line's first parts hold one or two words, fewer than
    order - 2: the context carried into the next part must still begin with `<s>`."""
    monkeypatch.setattr(corpora, "COUNTING_CHUNK_BYTES", 16)
    rng = random.Random(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "away"]
    line = " ".join(rng.choice(words) for _ in range(300))
    path = tmp_path / "c.txt"
    path.write_text("\n".join(["a cat", line, "the dog", "", line[:50], "x y z"]) + "\ncat dog")
    tokens = LineTokens("word")
    parts = list(file_sentences([path], tokens, in_parts=True))
    assert sum(isinstance(item, ContinuedLine) for item in parts) > 10
    whole = list(whole_sentences(parts))
    model = ngram.KneserNey(order).fit(whole)
    assert model.perplexity_detail(parts) == model.perplexity_detail(whole)
