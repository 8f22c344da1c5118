"""MLE, additive (Laplace / add-k), interpolated Witten-Bell and Stupid Backoff estimates.

All are written in the backoff form that ARPA files store (see `base`). Let c(h w) be the raw
count, C(h) = sum_w c(h w), T(h) the number of distinct words seen after h, V' the vocabulary
size without <s> (which is never predicted), and h' the context without its first word.
A context never seen in training backs off to h' (with weight 1).
"""

from __future__ import annotations

import math

import numpy as np

from seqlab.nlp.ngram.base import NgramLanguageModel, log_backoff_weights
from seqlab.nlp.ngram.counting import context_totals
from seqlab.nlp.ngram.vocabulary import BOS_ID


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(values)


class MLE(NgramLanguageModel):
    """Maximum likelihood: p(w | h) = c(h w) / C(h); zero for unseen n-grams of seen contexts.

    Not smoothed: unseen events have probability 0, so perplexity can be infinite. Its ARPA
    file writes log zero as -99 (the convention): read back (KenLM, `load_arpa`) an unseen
    event scores about log10 -99 per zero, a finite number, not -inf; perplexity from the
    file is still infinite.

    Against NLTK's `nltk.lm.MLE` (padded_everygram_pipeline): the same p(w | h) for every
    seen context h of order >= 2 but one kind (the third difference). Three differences,
    kept on purpose: a context never seen in training backs off to h' here (ARPA's rule: an
    unlisted context has backoff weight 1, so KenLM reads the same number from
    `save_arpa`'s file), where NLTK gives 0; the unigrams never count <s> (never
    predicted), so p(w) = c(w) / (N + sentences) in NLTK is c(w) / N here (N counting one
    </s> a sentence; e.g. 3/24 against 3/28); and a context of m <s> alone, m < order - 1
    (h = <s> in a trigram model): NLTK pads a sentence with order - 1 <s>, so it counts h
    order - m times a sentence (before the padding <s> too), where here a sentence starts
    with one <s> (KenLM's and ARPA's rule) and h follows it once: with S sentences,
    p(w | <s>) = c(<s> w) / (2 S) in NLTK's trigram model, c(<s> w) / S here (16/80
    against 16/40), and NLTK gives p(<s> | <s>) = 1/2.
    """

    def _estimate(self, tables, vocab_size):
        logprob, logbackoff = [], []
        for n, table in enumerate(tables):
            n_contexts = 1 if n == 0 else len(tables[n - 1].keys)
            total = context_totals(table, n_contexts, table.counts.astype(np.float64))
            logprob.append(_log(table.counts / total[table.parent]))
            if n:  # a seen context leaves nothing for unseen words: backoff weight 0
                logbackoff.append(np.where(total > 0, -np.inf, 0.0))
        logbackoff.append(np.zeros(len(tables[-1].keys)))
        return logprob, logbackoff


class AddK(NgramLanguageModel):
    """Additive smoothing: p(w | h) = (c(h w) + k) / (C(h) + k V') for every w seen after h.

    Unseen words after h share the same total mass textbook add-k gives them,
    k (V' - T(h)) / (C(h) + k V'), in proportion to the order n-1 model (Katz backoff form),
    so the model is a proper distribution that an ARPA file stores exactly. Unigrams are the
    textbook (c(w) + k) / (N + k V').

    Against NLTK's `nltk.lm.Laplace` / `Lidstone`: NLTK adds k to V = `vocab_size` words,
    <s> among them, so its p(w | h) = (c(h w) + k) / (C(h) + k V) gives <s> mass after every
    context and is not seqlab's (c(h w) + k) / (C(h) + k (V - 1)) for a seen n-gram (3/18
    against 3/17 for Laplace(2) p(cat | the) on NLTK's doc corpus); an unseen word after a
    seen context gets a share of the left-over mass by the order n-1 model here (above), the
    same k / (C(h) + k V) for every word in NLTK; and a context never seen in training is
    uniform, k / (k V), in NLTK and backs off to the order n-1 estimate here (ARPA's rule).
    Kept on purpose: here the probabilities of what can follow a context sum to one (an
    ARPA file, KenLM and perplexity need that; NLTK's sum to one only with <s> counted),
    and every number survives `save_arpa` / `load_arpa` and KenLM. To compare with NLTK,
    (c + k) / p_nltk - (c + k) / p = k for a seen n-gram h w, but where h is m <s> alone,
    m < order - 1 (h = <s> in a trigram model): NLTK counts h order - m times a sentence
    (see `MLE`), so there C(h) is (order - m) S for S sentences against S here, and
    p_nltk(w | <s>) = (c + k) / (2 S + k V) in a trigram model against (c + k) / (S + k V')
    here.
    """

    def __init__(self, order: int, k: float = 1.0, unk_cutoff: int = 1) -> None:
        super().__init__(order, unk_cutoff)
        if not (k > 0 and math.isfinite(k)):
            raise ValueError(f"k must be a finite number > 0, got {k}")
        self.k = float(k)

    def config(self) -> dict:
        return {**super().config(), "k": self.k}

    def _estimate(self, tables, vocab_size):
        k, predictable = self.k, vocab_size - 1
        logprob, logbackoff = [], []
        lower_prob = np.zeros(0)
        for n, table in enumerate(tables):
            n_contexts = 1 if n == 0 else len(tables[n - 1].keys)
            total = context_totals(table, n_contexts, table.counts.astype(np.float64))
            prob = (table.counts + k) / (total[table.parent] + k * predictable)
            if n == 0:
                prob[BOS_ID] = 0.0
            else:
                types = context_totals(table, n_contexts, np.ones(len(table.keys)))
                left_over = k * (predictable - types) / (total + k * predictable)
                lower_seen = context_totals(table, n_contexts, lower_prob[table.suffix])
                weight = np.ones(n_contexts)
                has_left_over = (total > 0) & (left_over > 0)
                np.divide(left_over, 1.0 - lower_seen, out=weight, where=has_left_over)
                logbackoff.append(log_backoff_weights(weight, has_left_over))
            logprob.append(_log(prob))
            lower_prob = prob
        logbackoff.append(np.zeros(len(tables[-1].keys)))
        return logprob, logbackoff


class Laplace(AddK):
    """Add-one smoothing: `AddK` with k = 1."""

    def __init__(self, order: int, unk_cutoff: int = 1) -> None:
        super().__init__(order, k=1.0, unk_cutoff=unk_cutoff)

    def config(self) -> dict:
        return {"order": self.order, "unk_cutoff": self.unk_cutoff}


class WittenBell(NgramLanguageModel):
    """Interpolated Witten-Bell: p(w | h) = (c(h w) + T(h) p(w | h')) / (C(h) + T(h)).

    Unigrams interpolate with the uniform distribution over V' words the same way.
    """

    def _estimate(self, tables, vocab_size):
        logprob, logbackoff = [], []
        lower_prob = np.full(1, 1.0 / (vocab_size - 1))
        for n, table in enumerate(tables):
            n_contexts = 1 if n == 0 else len(tables[n - 1].keys)
            total = context_totals(table, n_contexts, table.counts.astype(np.float64))
            types = context_totals(table, n_contexts, (table.counts > 0).astype(np.float64))
            lower = lower_prob[np.maximum(table.suffix, 0)]
            prob = (table.counts + types[table.parent] * lower) / (total + types)[table.parent]
            if n == 0:
                prob[BOS_ID] = 0.0
            else:
                is_context = total > 0
                weight = np.divide(types, total + types, out=np.ones(n_contexts),
                                   where=is_context)
                logbackoff.append(log_backoff_weights(weight, is_context))
            logprob.append(_log(prob))
            lower_prob = prob
        logbackoff.append(np.zeros(len(tables[-1].keys)))
        return logprob, logbackoff


class StupidBackoff(NgramLanguageModel):
    """Stupid Backoff (Brants et al. 2007): SCORES, NOT PROBABILITIES.

    S(w | h) = c(h w) / C(h) when h w was seen, else alpha * S(w | h'); S(w) = c(w) / N.
    Scores do not sum to 1: `logprob` and `score` return log scores, `perplexity` and
    `save_arpa` refuse, and `next_token_logprobs` normalises the scores so they can be sampled.
    """

    def __init__(self, order: int, alpha: float = 0.4, unk_cutoff: int = 1) -> None:
        super().__init__(order, unk_cutoff)
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.alpha = float(alpha)
        self.constant_backoff = math.log(self.alpha)

    def config(self) -> dict:
        return {**super().config(), "alpha": self.alpha}

    def _estimate(self, tables, vocab_size):
        logprob = []
        for n, table in enumerate(tables):
            n_contexts = 1 if n == 0 else len(tables[n - 1].keys)
            total = context_totals(table, n_contexts, table.counts.astype(np.float64))
            logprob.append(_log(table.counts / total[table.parent]))
        return logprob, [np.zeros(len(table.keys)) for table in tables]
