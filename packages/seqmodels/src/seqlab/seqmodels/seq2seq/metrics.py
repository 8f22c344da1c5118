"""Scores of decoded sequences against references: edit distance, BLEU and chrF.

BLEU (Papineni et al. 2002) is the corpus-level definition on already tokenized text: n-gram
counts clipped by the reference and summed over the corpus, up to 4-grams, uniform weights, the
brevity penalty, no smoothing: sacreBLEU's `corpus_bleu(tokenize="none", smooth_method="none")`
and NLTK's `corpus_bleu` give the same number. chrF (Popovic 2015): character n-grams up to 6
with whitespace removed, statistics summed over the corpus, precision and recall averaged over
the orders that occur, then their F-beta with beta 2: sacreBLEU's default `corpus_chrf`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def edit_distance(hypothesis: Sequence, reference: Sequence) -> int:
    """Levenshtein distance: insertions, deletions and substitutions, each costing 1."""
    previous = list(range(len(reference) + 1))
    for i, token in enumerate(hypothesis, start=1):
        current = [i]
        for j, wanted in enumerate(reference, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (token != wanted)))
        previous = current
    return previous[-1]


def _ngrams(tokens: Sequence, order: int) -> Counter:
    return Counter(tuple(tokens[i : i + order]) for i in range(len(tokens) - order + 1))


class BleuTotals:
    """Corpus BLEU's sums (clipped n-gram matches, n-gram counts, lengths), a sentence at a
    time: the score of a set does not need the set in memory."""

    def __init__(self, max_order: int = 4) -> None:
        self.max_order = max_order
        self.matches = [0] * max_order
        self.totals = [0] * max_order
        self.hypothesis_length = self.reference_length = 0

    def add(self, hypothesis: Sequence[str], reference: Sequence[str]) -> None:
        """Count one hypothesis against its reference."""
        self.hypothesis_length += len(hypothesis)
        self.reference_length += len(reference)
        for order in range(1, self.max_order + 1):
            counts, wanted = _ngrams(hypothesis, order), _ngrams(reference, order)
            self.matches[order - 1] += sum(min(n, wanted[gram]) for gram, n in counts.items())
            self.totals[order - 1] += max(len(hypothesis) - order + 1, 0)

    def score(self) -> float:
        """BLEU in [0, 100] of what was added."""
        if self.hypothesis_length == 0 or min(self.matches) == 0:
            return 0.0
        log_precision = sum(math.log(m / t) for m, t in zip(self.matches, self.totals)) / \
            self.max_order
        brevity = 1.0 if self.hypothesis_length > self.reference_length else \
            math.exp(1 - self.reference_length / self.hypothesis_length)
        return 100.0 * brevity * math.exp(log_precision)


def corpus_bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                max_order: int = 4) -> float:
    """Corpus BLEU in [0, 100] of token sequences against one reference each."""
    totals = BleuTotals(max_order)
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        totals.add(hypothesis, reference)
    return totals.score()


class ChrfTotals:
    """Corpus chrF's sums (character n-gram matches and counts per order), a sentence at a
    time."""

    def __init__(self, max_order: int = 6, beta: float = 2.0) -> None:
        self.max_order, self.beta = max_order, beta
        self.matches = [0] * max_order
        self.hypothesis_totals = [0] * max_order
        self.reference_totals = [0] * max_order

    def add(self, hypothesis: str, reference: str) -> None:
        """Count one hypothesis string against its reference (whitespace ignored)."""
        hypothesis, reference = "".join(hypothesis.split()), "".join(reference.split())
        for order in range(1, self.max_order + 1):
            counts, wanted = _ngrams(hypothesis, order), _ngrams(reference, order)
            self.matches[order - 1] += sum(min(n, wanted[gram]) for gram, n in counts.items())
            self.hypothesis_totals[order - 1] += sum(counts.values())
            self.reference_totals[order - 1] += sum(wanted.values())

    def score(self) -> float:
        """chrF in [0, 100] of what was added."""
        precisions, recalls = [], []
        for match, hyp_total, ref_total in zip(self.matches, self.hypothesis_totals,
                                               self.reference_totals):
            if hyp_total and ref_total:
                precisions.append(match / hyp_total)
                recalls.append(match / ref_total)
        if not precisions:
            return 0.0
        precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
        if precision + recall == 0:
            return 0.0
        factor = self.beta * self.beta
        return 100.0 * (1 + factor) * precision * recall / (factor * precision + recall)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str], max_order: int = 6,
                beta: float = 2.0) -> float:
    """Corpus chrF in [0, 100] of strings against one reference each (whitespace ignored)."""
    totals = ChrfTotals(max_order, beta)
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        totals.add(hypothesis, reference)
    return totals.score()
