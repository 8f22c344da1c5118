"""Compact word counting (`counting.count_words`, `count_kernels`) against collections.Counter."""

import random
from collections import Counter

import pytest

from seqlab.nlp.word2vec.counting import CompactCounts, count_words
from seqlab.nlp.word2vec.vocab import scan_vocab

# a newline inside a token, the empty token, multi-byte and lone-surrogate tokens
ODD_TOKENS = ["a\nb", "", "é", "naïve", "\ud800", "日本", "a", "b"]


def _zipf_sentences(count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{int(rng.paretovariate(0.4))}" for _ in range(count)]
    words[::97] = [ODD_TOKENS[i % len(ODD_TOKENS)] for i in range(len(words[::97]))]
    sentences, start = [], 0
    while start < len(words):
        length = rng.randrange(0, 30)  # empty sentences too
        sentences.append(words[start:start + length])
        start += length
    return sentences


@pytest.mark.parametrize("min_count", [1, 2, 5])
def test_count_words_equals_scan_vocab_then_min_count(min_count):
    sentences = _zipf_sentences(60_000, seed=min_count)
    ours = count_words(sentences, min_count)
    reference = scan_vocab(sentences)
    assert list(ours.counts.items()) == [
        (word, count) for word, count in reference.counts.items() if count >= min_count]
    assert ours.distinct == len(reference.counts) > 1000
    assert (ours.total_words, ours.sentence_count) == (
        reference.total_words, reference.sentence_count)


def test_table_grows_from_a_tiny_capacity_and_keeps_first_seen_order():
    table = CompactCounts(capacity=2)
    reference: Counter[str] = Counter()
    rng = random.Random(7)
    for _ in range(40):  # batches of new and known words, each a Counter in first-seen order
        batch = Counter(f"{rng.randrange(3000)}" for _ in range(rng.randrange(1, 400)))
        if rng.random() < 0.3:
            batch.update(ODD_TOKENS)
        table.add(batch)
        reference.update(batch)
    assert table.num_words == len(reference) > 1000
    assert len(table.table) & (len(table.table) - 1) == 0  # a power of two
    assert [table.word(i) for i in range(table.num_words)] == list(reference)
    assert table.at_least(1) == dict(reference)
    assert list(table.at_least(3)) == [word for word, count in reference.items() if count >= 3]


def test_a_sentence_given_as_a_string_is_refused():
    with pytest.raises(TypeError, match="list of tokens"):
        count_words(["the cat sat"], 1)


@pytest.mark.parametrize("odd", [[7, 1, 7, 2], [b"7", b"b", "a", b"7"]], ids=["ints", "bytes"])
def test_tokens_that_are_not_str_count_as_scan_vocab_counts_them(monkeypatch, odd):
    """ints or bytes (any hashable, as scan_vocab takes), after str-only batches: the same
    counts, first-seen order and totals as `scan_vocab`."""
    from seqlab.nlp.word2vec import counting

    monkeypatch.setattr(counting, "BATCH_TOKENS", 3)  # the str-only batches go to the table
    sentences = [["b", "a", "c"], ["a", "d", "b"], odd, ["a", "e"]]
    got = count_words(sentences, 1)
    want = scan_vocab(sentences)
    assert list(got.counts.items()) == list(want.counts.items())
    assert (got.total_words, got.sentence_count, got.distinct) == (
        want.total_words, want.sentence_count, len(want.counts))
    assert count_words(sentences, 2).counts == {w: c for w, c in want.counts.items() if c >= 2}
