"""Scores of decoded sequences against references: edit distance, BLEU and chrF.

BLEU (Papineni et al. 2002) is the corpus-level definition on already tokenized text: n-gram
counts clipped by the reference and summed over the corpus, up to 4-grams, uniform weights, the
brevity penalty, no smoothing: sacreBLEU's `corpus_bleu(tokenize="none", smooth_method="none")`
and NLTK's `corpus_bleu` give the same number. `BleuTotals(smooth="exp")` is sacreBLEU's default
smoothing instead (what `seq2seq eval`'s text scores use): an order with no match counts
1 / (2^k n-grams), k counting such orders, as its `BLEU.compute_bleu` does. chrF (Popovic
2015): character n-grams up to 6 with whitespace removed, statistics summed over the corpus,
precision and recall averaged over the orders that occur, then their F-beta with beta 2:
sacreBLEU's default `corpus_chrf`.
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


SMOOTHING = ("none", "exp")
_LOG_OF_ZERO = -9999999999  # sacreBLEU's `my_log(0)`: an order without n-grams


class BleuTotals:
    """Corpus BLEU's sums (clipped n-gram matches, n-gram counts, lengths), a sentence at a
    time: the score of a set does not need the set in memory. `smooth`: "none" (an order with
    no match gives 0) or "exp" (sacreBLEU's default, see the module docstring)."""

    def __init__(self, max_order: int = 4, smooth: str = "none") -> None:
        if smooth not in SMOOTHING:
            raise ValueError(f"smooth must be one of {SMOOTHING}, got {smooth!r}")
        self.max_order, self.smooth = max_order, smooth
        self.matches = [0] * max_order
        self.totals = [0] * max_order
        self.hypothesis_length = self.reference_length = 0

    def add(self, hypothesis: Sequence[str], reference: Sequence[str]) -> None:
        """Count one hypothesis against its reference."""
        self.add_references(hypothesis, [reference])

    def add_references(self, hypothesis: Sequence[str],
                       references: Sequence[Sequence[str]]) -> None:
        """Count one hypothesis against several references, as sacreBLEU does: each n-gram
        clipped by its largest count in any one reference, and the reference length the one
        closest to the hypothesis's (the shorter of two as close)."""
        if not references:
            raise ValueError("a hypothesis needs at least one reference")
        self.hypothesis_length += len(hypothesis)
        self.reference_length += min(_length_key(r, hypothesis) for r in references)[1]
        for order in range(1, self.max_order + 1):
            counts = _ngrams(hypothesis, order)
            wanted = _ngrams(references[0], order)
            for reference in references[1:]:
                for gram, n in _ngrams(reference, order).items():
                    wanted[gram] = max(wanted[gram], n)
            self.matches[order - 1] += sum(min(n, wanted[gram]) for gram, n in counts.items())
            self.totals[order - 1] += max(len(hypothesis) - order + 1, 0)

    def add_offered(self, source: BleuReferences) -> None:
        """Count one hypothesis against the references offered to `source` (at least one)."""
        if source.closest_length is None:
            raise ValueError("a hypothesis needs at least one reference")
        self.hypothesis_length += len(source.hypothesis)
        self.reference_length += source.closest_length
        for order, (counts, wanted) in enumerate(zip(source.counts, source.wanted)):
            self.matches[order] += sum(min(n, wanted[gram]) for gram, n in counts.items())
            self.totals[order] += max(len(source.hypothesis) - order, 0)

    def score(self) -> float:
        """BLEU in [0, 100] of what was added."""
        if self.smooth == "exp":
            return self._exp_smoothed_score()
        if self.hypothesis_length == 0 or min(self.matches) == 0:
            return 0.0
        log_precision = sum(math.log(m / t) for m, t in zip(self.matches, self.totals)) / \
            self.max_order
        brevity = 1.0 if self.hypothesis_length > self.reference_length else \
            math.exp(1 - self.reference_length / self.hypothesis_length)
        return 100.0 * brevity * math.exp(log_precision)

    def _exp_smoothed_score(self) -> float:
        """sacreBLEU's `compute_bleu(smooth_method="exp")`, step for step (the same floats)."""
        if not any(self.matches):
            return 0.0
        hyp_len, ref_len = self.hypothesis_length, self.reference_length
        brevity = math.exp(1 - ref_len / hyp_len) if hyp_len < ref_len else 1.0
        precisions = [0.0] * self.max_order
        smooth = 1.0
        for order, (match, total) in enumerate(zip(self.matches, self.totals)):
            if total == 0:
                break
            if match == 0:
                smooth *= 2
                precisions[order] = 100.0 / (smooth * total)
            else:
                precisions[order] = 100.0 * match / total
        logs = [math.log(p) if p else _LOG_OF_ZERO for p in precisions]
        return brevity * math.exp(sum(logs) / self.max_order)


class BleuReferences:
    """One hypothesis's BLEU statistics against references offered one at a time, none of them
    kept (what `BleuTotals.add_references` counts from a list): the closest length so far and,
    for each of the hypothesis's own n-grams, its largest count in one reference."""

    def __init__(self, hypothesis: Sequence[str], max_order: int = 4) -> None:
        self.hypothesis = hypothesis
        self.counts = [_ngrams(hypothesis, order) for order in range(1, max_order + 1)]
        self.wanted: list[Counter] = [Counter() for _ in self.counts]
        self.closest_length: int | None = None
        self._closest_key: tuple[int, int] | None = None

    def offer(self, reference: Sequence[str]) -> None:
        """Count `reference`: its length if closest (the shorter of two as close), and its
        counts of the hypothesis's n-grams where larger than any reference's before."""
        key = _length_key(reference, self.hypothesis)
        if self._closest_key is None or key < self._closest_key:
            self._closest_key, self.closest_length = key, len(reference)
        for order, (counts, wanted) in enumerate(zip(self.counts, self.wanted), start=1):
            if not counts:
                continue
            found = _ngrams(reference, order)
            for gram in counts:
                if found[gram] > wanted[gram]:
                    wanted[gram] = found[gram]


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
        self.add_references(hypothesis, [reference])

    def add_references(self, hypothesis: str, references: Sequence[str]) -> None:
        """Count one hypothesis against the one of `references` it scores best against
        (sentence chrF; the first of equals), as sacreBLEU does. An order the reference has no
        n-gram of counts none of the hypothesis's either (sacreBLEU's rule)."""
        if not references:
            raise ValueError("a hypothesis needs at least one reference")
        counts = _char_ngrams(hypothesis, self.max_order)
        best, best_score = None, -1.0
        for reference in references:
            stats = _chrf_stats(counts, reference, self.max_order)
            score = _f_score(stats, self.beta)
            if score > best_score:
                best, best_score = stats, score
        self._add_stats(best)

    def add_offered(self, source: ChrfReferences) -> None:
        """Count one hypothesis against the best of the references offered to `source`."""
        if source.best is None:
            raise ValueError("a hypothesis needs at least one reference")
        self._add_stats(source.best)

    def _add_stats(self, best: Sequence[tuple[int, int, int]]) -> None:
        """Add one hypothesis's (matches, hypothesis n-grams, reference n-grams) per order."""
        for order, (match, hyp_total, ref_total) in enumerate(best):
            self.matches[order] += match
            self.hypothesis_totals[order] += hyp_total
            self.reference_totals[order] += ref_total

    def score(self) -> float:
        """chrF in [0, 100] of what was added."""
        return _f_score(list(zip(self.matches, self.hypothesis_totals,
                                 self.reference_totals)), self.beta)


class ChrfReferences:
    """One hypothesis's chrF statistics against the best of references offered one at a time
    (the first of equals; none of them kept), as `ChrfTotals.add_references` picks it."""

    def __init__(self, hypothesis: str, max_order: int = 6, beta: float = 2.0) -> None:
        self.counts = _char_ngrams(hypothesis, max_order)
        self.max_order, self.beta = max_order, beta
        self.best: list[tuple[int, int, int]] | None = None
        self.best_score = -1.0

    def offer(self, reference: str) -> None:
        """Keep `reference`'s statistics if it scores better than every one before."""
        stats = _chrf_stats(self.counts, reference, self.max_order)
        score = _f_score(stats, self.beta)
        if score > self.best_score:
            self.best, self.best_score = stats, score


def _length_key(reference: Sequence, hypothesis: Sequence) -> tuple[int, int]:
    """Sort key of a reference's length: closest to the hypothesis's first, then shorter."""
    return abs(len(reference) - len(hypothesis)), len(reference)


def _char_ngrams(text: str, max_order: int) -> list[Counter]:
    text = "".join(text.split())
    return [_ngrams(text, order) for order in range(1, max_order + 1)]


def _chrf_stats(counts: Sequence[Counter], reference: str,
                max_order: int) -> list[tuple[int, int, int]]:
    """Per order, (matches, hypothesis n-grams, reference n-grams) of a hypothesis's character
    n-gram `counts` against `reference`; an order the reference has none of counts none of the
    hypothesis's either (sacreBLEU's rule)."""
    stats = []
    for have, wanted in zip(counts, _char_ngrams(reference, max_order)):
        stats.append((sum(min(n, wanted[gram]) for gram, n in have.items()),
                      sum(have.values()) if wanted else 0, sum(wanted.values())))
    return stats


def _f_score(stats: Sequence[tuple[int, int, int]], beta: float) -> float:
    """chrF of (matches, hypothesis n-grams, reference n-grams) per order: precision and
    recall averaged over the orders both sides have, then their F-beta."""
    precisions, recalls = [], []
    for match, hyp_total, ref_total in stats:
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


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str], max_order: int = 6,
                beta: float = 2.0) -> float:
    """Corpus chrF in [0, 100] of strings against one reference each (whitespace ignored)."""
    totals = ChrfTotals(max_order, beta)
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        totals.add(hypothesis, reference)
    return totals.score()
