"""`seqlab.nlp.ngram.tally.SentenceTally`: the sentence, token and unknown-token totals the
n-gram commands report, counted while the sentences stream through once (moved from the CLI;
its tests hold the commands' output)."""

from __future__ import annotations

from seqlab.nlp.ngram.sentences import ContinuedLine
from seqlab.nlp.ngram.tally import TOKENS_EVERY, SentenceTally


def test_passes_each_sentence_through_and_counts_a_continued_line_once():
    sentences = [["a", "b"], ContinuedLine(["c", "d"]), ["e"], [], ["a", "z", "z"]]
    tally = SentenceTally(iter(sentences), known={"a", "b", "c"})
    assert (tally.sentences, tally.tokens, tally.unknown) == (0, 0, 0)  # nothing read yet
    assert list(tally) == sentences
    assert tally.sentences == 4  # c d e is one sentence in two parts; the blank one counts
    assert tally.tokens == 8
    assert tally.unknown == 4  # d, e, z, z


def test_without_known_words_nothing_is_unknown():
    tally = SentenceTally([["x", "y"]])
    list(tally)
    assert tally.unknown == 0


def test_reads_one_item_at_a_time():
    read: list[int] = []

    def source():
        for number in range(3):
            read.append(number)
            yield ["w"]

    items = iter(SentenceTally(source()))
    next(items)
    assert read == [0]  # no batch read ahead of what counting takes


def test_reports_the_token_count_every_so_many_sentences_and_at_the_end():
    heard: list[int] = []
    sentences = [["w", "w"]] * (2 * TOKENS_EVERY + 3)
    list(SentenceTally(sentences, on_tokens=heard.append))
    assert heard == [2 * TOKENS_EVERY, 4 * TOKENS_EVERY, 2 * len(sentences)]
