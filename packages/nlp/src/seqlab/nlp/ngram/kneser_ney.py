"""Interpolated modified Kneser-Ney smoothing, computed exactly as KenLM's lmplz does.

Chen & Goodman (1998) with KenLM's choices:
- adjusted counts a(g): raw counts for the highest order and for n-grams that start with <s>
  (nothing can precede them), otherwise the number of distinct words seen before g;
- discounts D1, D2, D3+ per order from the counts of adjusted counts n1..n4:
  Y = n1 / (n1 + 2 n2), Dk = k - (k + 1) Y n(k+1) / nk; when some nk (k <= 3) is zero or a
  discount leaves [0, k], lmplz's `--discount_fallback` values 0.5, 1, 1.5 are used;
- p(w | h) = (a(h w) - D(a(h w))) / sum_x a(h x) + gamma(h) p(w | h'), with
  gamma(h) = (D1 N1(h) + D2 N2(h) + D3+ N3+(h)) / sum_x a(h x); unseen contexts back off;
- unigrams interpolate with the uniform distribution over the vocabulary minus <s>, so a
  <unk> never seen in training still gets gamma / (|V| - 1).
"""

from __future__ import annotations

import numpy as np

from seqlab.nlp.ngram.base import NgramLanguageModel, log_backoff_weights
from seqlab.nlp.ngram.counting import NgramTable, context_totals
from seqlab.nlp.ngram.vocabulary import BOS_ID

FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


def adjusted_counts(tables: list[NgramTable]) -> list[np.ndarray]:
    """Kneser-Ney adjusted counts of every n-gram of every order (KenLM's definition)."""
    adjusted = [tables[-1].counts]
    for lower, higher in zip(tables[-2::-1], tables[:0:-1]):
        continuation = np.bincount(higher.suffix, minlength=len(lower.keys)).astype(np.int64)
        continuation[lower.starts_with_bos] = lower.counts[lower.starts_with_bos]
        adjusted.append(continuation)
    return adjusted[::-1]


def modified_kn_discounts(
    adjusted: np.ndarray, fallback: tuple[float, float, float] = FALLBACK_DISCOUNTS
) -> np.ndarray:
    """[0, D1, D2, D3+] from the counts of adjusted counts (Chen & Goodman eq. 26)."""
    n = np.bincount(np.minimum(adjusted, 5), minlength=6)[:5].astype(np.float64)
    return discounts_from_count_of_counts(n, fallback)


def discounts_from_count_of_counts(
    n: np.ndarray, fallback: tuple[float, float, float] = FALLBACK_DISCOUNTS
) -> np.ndarray:
    """[0, D1, D2, D3+] from n[k] = how many n-grams have adjusted count k (k = 0..4)."""
    if np.any(n[1:4] == 0):
        return np.array([0.0, *fallback])
    y = n[1] / (n[1] + 2.0 * n[2])
    discounts = np.array([0.0] + [k - (k + 1) * y * n[k + 1] / n[k] for k in (1, 2, 3)])
    if np.any(discounts[1:] < 0) or np.any(discounts[1:] > np.arange(1, 4)):
        return np.array([0.0, *fallback])
    return discounts


class KneserNey(NgramLanguageModel):
    """Interpolated modified Kneser-Ney (KenLM lmplz's estimate; see the module docs).

    `discounts` (one [D1, D2, D3+] per order) replaces the closed-form estimates when given.
    """

    def __init__(self, order: int, unk_cutoff: int = 1,
                 discounts: list[list[float]] | None = None) -> None:
        super().__init__(order, unk_cutoff)
        if discounts is not None and (
            len(discounts) != order or any(len(d) != 3 for d in discounts)
        ):
            raise ValueError(f"discounts must be {order} lists of [D1, D2, D3+], got {discounts}")
        self.fixed_discounts = discounts
        self.discounts: list[list[float]] = []

    def config(self) -> dict:
        return {**super().config(), "discounts": self.fixed_discounts}

    def _estimate(self, tables, vocab_size):
        adjusted = adjusted_counts(tables)
        logprob, logbackoff = [], []
        self.discounts = []
        lower_prob = np.full(1, 1.0 / (vocab_size - 1))  # the uniform "order 0"
        for n, (table, counts) in enumerate(zip(tables, adjusted)):
            if self.fixed_discounts is not None:
                discount_of = np.array([0.0, *self.fixed_discounts[n]])
            else:
                discount_of = modified_kn_discounts(counts)
            self.discounts.append(discount_of[1:].tolist())
            discount = discount_of[np.minimum(counts, 3)]
            n_contexts = 1 if n == 0 else len(tables[n - 1].keys)
            denominator = context_totals(table, n_contexts, counts.astype(np.float64))
            gamma = np.zeros(n_contexts)
            np.divide(context_totals(table, n_contexts, discount), denominator,
                      out=gamma, where=denominator > 0)
            lower = lower_prob[np.maximum(table.suffix, 0)]
            prob = (counts - discount) / denominator[table.parent] + gamma[table.parent] * lower
            if n == 0:
                prob[BOS_ID] = 0.0
            else:
                logbackoff.append(log_backoff_weights(gamma, denominator > 0))
            with np.errstate(divide="ignore"):
                logprob.append(np.log(prob))
            lower_prob = prob
        logbackoff.append(np.zeros(len(tables[-1].keys)))
        return logprob, logbackoff

