"""Scores of translations against the raw reference text, as sacreBLEU scores a system's output.

The hypothesis is the decoded text `seq2seq translate` prints; the references are the TSV's
target text as written, never encoded with the model's vocabulary and decoded back (a word the
vocabulary lacks would come back as `<unk>` and match the model's `<unk>`). BLEU is sacreBLEU's
default corpus BLEU (its `13a` tokenization, its 'exp' smoothing of an order with no match,
every reference of a source: n-grams clipped by the largest count in one reference, the
closest reference length); chrF is its default corpus chrF (character 6-grams, beta 2, the
best reference of each source). Exact match and token error rate compare the model's output
tokens with each reference's own tokens (the target tokenizer's split, before any vocabulary
lookup), the closest reference counting; an output `<unk>` equals no reference token. A
source's references are read once, one at a time, and none is kept: memory does not grow with
their number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from seqlab.seqmodels.seq2seq.metrics import (
    BleuReferences,
    BleuTotals,
    ChrfReferences,
    ChrfTotals,
)
from seqlab.seqmodels.seq2seq.scoring import Closest, ScoreTotals, score_set
from seqlab.seqmodels.seq2seq.tokenize_13a import tokenize_13a


class _Unknown:
    """An output <unk>: equal to nothing but itself (no reference token is one)."""

    def __repr__(self) -> str:
        return "<unk>"


UNKNOWN = _Unknown()


def output_tokens(tokenizer: Any, ids: Iterable[int]) -> list[Any]:
    """The token strings of decoded `ids`, each <unk> as `UNKNOWN` (which matches no word)."""
    unk = tokenizer.unk_id
    return [UNKNOWN if int(i) == unk else tokenizer.id_to_token(int(i)) for i in ids]


class TextScoreTotals:
    """exact_match, token_error_rate, bleu, chrf and sentences of hypothesis texts against
    raw reference texts, summed a source at a time. `tokenize(text)` gives a reference's
    tokens for exact match and token error rate (str.split by default)."""

    def __init__(self, tokenize: Callable[[str], Sequence[Any]] = str.split) -> None:
        self.tokenize = tokenize
        self.tokens = ScoreTotals()
        self.bleu, self.chrf = BleuTotals(smooth="exp"), ChrfTotals()

    def add(self, hypothesis: str, references: Iterable[str],
            hypothesis_tokens: Sequence[Any] | None = None) -> None:
        """Count one source's output text against its references (one source's, read once);
        `hypothesis_tokens` (default: `tokenize(hypothesis)`) are the tokens the model gave,
        as `output_tokens` spells them."""
        if hypothesis_tokens is None:
            hypothesis_tokens = self.tokenize(hypothesis)
        closest = Closest(hypothesis_tokens)
        bleu = BleuReferences(tokenize_13a(hypothesis), self.bleu.max_order)
        chrf = ChrfReferences(hypothesis, self.chrf.max_order, self.chrf.beta)
        for reference in references:
            closest.offer(self.tokenize(reference))
            bleu.offer(tokenize_13a(reference))
            chrf.offer(reference)
        if closest.reference is None:
            raise ValueError("a hypothesis needs at least one reference")
        self.tokens.add_closest(closest)
        self.bleu.add_offered(bleu)
        self.chrf.add_offered(chrf)

    def scores(self) -> dict[str, float]:
        """The scores of the sources added (at least one)."""
        return {**self.tokens.scores(), "bleu": self.bleu.score(), "chrf": self.chrf.score()}


def score_texts(hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                tokenize: Callable[[str], Sequence[Any]] = str.split) -> dict[str, float]:
    """exact_match, token_error_rate, bleu, chrf and sentences of output texts, each against
    its raw reference texts: BLEU and chrF equal `sacrebleu.corpus_bleu` / `corpus_chrf` with
    their defaults; exact match and token error rate on `tokenize`'s tokens."""
    return score_set(TextScoreTotals(tokenize), hypotheses, references, "score_texts")
