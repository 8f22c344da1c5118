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


def closest_reference(hypothesis: Sequence, references: Sequence[Sequence]) -> Sequence:
    """The reference with the smallest edit distance to `hypothesis` (first on ties)."""
    return min(references, key=lambda reference: edit_distance(hypothesis, reference))


def _ngrams(tokens: Sequence, order: int) -> Counter:
    return Counter(tuple(tokens[i : i + order]) for i in range(len(tokens) - order + 1))


def corpus_bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                max_order: int = 4) -> float:
    """Corpus BLEU in [0, 100] of token sequences against one reference each."""
    matches = [0] * max_order
    totals = [0] * max_order
    hypothesis_length = reference_length = 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hypothesis_length += len(hypothesis)
        reference_length += len(reference)
        for order in range(1, max_order + 1):
            counts, wanted = _ngrams(hypothesis, order), _ngrams(reference, order)
            matches[order - 1] += sum(min(n, wanted[gram]) for gram, n in counts.items())
            totals[order - 1] += max(len(hypothesis) - order + 1, 0)
    if hypothesis_length == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order
    brevity = 1.0 if hypothesis_length > reference_length else \
        math.exp(1 - reference_length / hypothesis_length)
    return 100.0 * brevity * math.exp(log_precision)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str], max_order: int = 6,
                beta: float = 2.0) -> float:
    """Corpus chrF in [0, 100] of strings against one reference each (whitespace ignored)."""
    matches = [0] * max_order
    hypothesis_totals = [0] * max_order
    reference_totals = [0] * max_order
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hypothesis, reference = "".join(hypothesis.split()), "".join(reference.split())
        for order in range(1, max_order + 1):
            counts, wanted = _ngrams(hypothesis, order), _ngrams(reference, order)
            matches[order - 1] += sum(min(n, wanted[gram]) for gram, n in counts.items())
            hypothesis_totals[order - 1] += sum(counts.values())
            reference_totals[order - 1] += sum(wanted.values())
    precisions, recalls = [], []
    for match, hyp_total, ref_total in zip(matches, hypothesis_totals, reference_totals):
        if hyp_total and ref_total:
            precisions.append(match / hyp_total)
            recalls.append(match / ref_total)
    if not precisions:
        return 0.0
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if precision + recall == 0:
        return 0.0
    factor = beta * beta
    return 100.0 * (1 + factor) * precision * recall / (factor * precision + recall)
