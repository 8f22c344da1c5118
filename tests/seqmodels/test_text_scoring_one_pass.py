"""`TextScoreTotals.add` reads a source's references once, one at a time, keeping none of
them (memory does not grow with a source's reference count), and scores as the whole list."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from seqlab.seqmodels.seq2seq.metrics import BleuTotals, ChrfTotals
from seqlab.seqmodels.seq2seq.text_scoring import TextScoreTotals, score_texts
from seqlab.seqmodels.seq2seq.tokenize_13a import tokenize_13a


class _Reference(str):
    """A reference text whose lifetime a weak reference can watch."""


def test_references_are_let_go_one_by_one():
    alive: list[weakref.ref] = []

    def references():
        for i in range(50):
            gc.collect()
            # at most the one offered last may still be held (by the loop reading them)
            assert sum(ref() is not None for ref in alive) <= 1
            text = _Reference(f"reference {i} about item {i % 7} here .")
            alive.append(weakref.ref(text))
            yield text

    totals = TextScoreTotals()
    totals.add("a hypothesis about item 3 here .", references())
    assert len(alive) == 50 and totals.scores()["sentences"] == 1.0


def _sentences(rng, count: int) -> list[str]:
    words = ["the", "cat", "sat", "on", "a", "mat", "3.5", "x-ray", "(big)", "don't", ","]
    return [" ".join(rng.choice(words, rng.integers(0, 9))) for _ in range(count)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_pass_scores_equal_the_list_scores(seed):
    # the sums the lists gave before (BleuTotals / ChrfTotals over the whole list at once)
    rng = np.random.default_rng(seed)
    hyps = _sentences(rng, 30)
    refs = [_sentences(rng, int(rng.integers(1, 6))) for _ in hyps]
    bleu, chrf = BleuTotals(smooth="exp"), ChrfTotals()
    for hypothesis, options in zip(hyps, refs, strict=True):
        bleu.add_references(tokenize_13a(hypothesis), [tokenize_13a(r) for r in options])
        chrf.add_references(hypothesis, options)
    scores = score_texts(hyps, [iter(options) for options in refs])
    assert scores["bleu"] == bleu.score() and scores["chrf"] == chrf.score()


def test_a_source_without_references_is_refused():
    with pytest.raises(ValueError, match="at least one reference"):
        TextScoreTotals().add("a b", iter(()))
