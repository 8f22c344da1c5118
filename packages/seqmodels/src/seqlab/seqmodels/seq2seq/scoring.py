"""Scores of a decoded test set where a source may have several references (the closest counts).

`score_outputs` takes, per source, the hypothesis tokens and its references' tokens: exact match
(the hypothesis equals one of the references), token error rate (edit distance to the closest
reference over that reference's length, summed over the set), and for word-level targets BLEU and
chrF against the closest references. Every score is a sum over sources: `ScoreTotals` and
`G2PTotals` add one source (and its references, one at a time) at a time, so a set is scored
without holding it.

The tokens are the caller's, compared as given (BLEU as sacreBLEU's `tokenize="none"`): split
references as written, never through a vocabulary, or an unknown word becomes `<unk>` and
matches the model's `<unk>`. `text_scoring` scores output text against raw reference text, as
`seq2seq eval` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from seqlab.seqmodels.seq2seq.metrics import BleuTotals, ChrfTotals, edit_distance


class Closest:
    """The first reference at the smallest edit distance from a hypothesis, the references
    offered one at a time (no list of them is kept)."""

    def __init__(self, hypothesis: Sequence[str]) -> None:
        self.hypothesis = list(hypothesis)
        self.reference: list[str] | None = None
        self.distance = 0

    def offer(self, reference: Sequence[str]) -> None:
        """Keep `reference` if it is closer than every one offered before."""
        distance = edit_distance(self.hypothesis, list(reference))
        if self.reference is None or distance < self.distance:
            self.reference, self.distance = list(reference), distance


class ScoreTotals:
    """exact_match, token_error_rate, sentences (and bleu, chrf when word_level), summed a
    source at a time."""

    def __init__(self, word_level: bool = False) -> None:
        self.word_level = word_level
        self.sentences = self.exact = self.errors = self.length = 0
        self.bleu, self.chrf = BleuTotals(), ChrfTotals()

    def add(self, hypothesis: Sequence[str], references: Iterable[Sequence[str]]) -> None:
        """Count one source's hypothesis against the closest of its references (read once)."""
        self.add_closest(closest_of(hypothesis, references))

    def add_closest(self, closest: Closest) -> None:
        """Count one source: its hypothesis against the closest of its references."""
        if closest.reference is None:
            raise ValueError("a hypothesis needs at least one reference")
        self.sentences += 1
        self.exact += closest.distance == 0
        self.errors += closest.distance
        self.length += len(closest.reference)
        if self.word_level:
            self.bleu.add(closest.hypothesis, closest.reference)
            self.chrf.add(" ".join(closest.hypothesis), " ".join(closest.reference))

    def scores(self) -> dict[str, float]:
        """The scores of the sources added (at least one)."""
        if not self.sentences:
            raise ValueError("no hypothesis to score")
        scores = {"sentences": float(self.sentences), "exact_match": self.exact / self.sentences,
                  "token_error_rate": self.errors / max(self.length, 1)}
        if self.word_level:
            scores["bleu"] = self.bleu.score()
            scores["chrf"] = self.chrf.score()
        return scores


def _unstressed(tokens: Sequence[Any]) -> list[Any]:
    # a token that is not a string (text_scoring.UNKNOWN, an output <unk>) stays as it is
    return [token.rstrip("012") if isinstance(token, str) else token for token in tokens]


class G2PTotals:
    """Grapheme-to-phoneme scores (see `g2p_scores`), summed a source at a time."""

    def __init__(self) -> None:
        self.stressed, self.plain = ScoreTotals(), ScoreTotals()

    def add(self, hypothesis: Sequence[str], references: Iterable[Sequence[str]]) -> None:
        """Count one source's hypothesis against its references (read once)."""
        stressed, plain = Closest(hypothesis), Closest(_unstressed(hypothesis))
        for reference in references:
            stressed.offer(reference)
            plain.offer(_unstressed(reference))
        self.stressed.add_closest(stressed)
        self.plain.add_closest(plain)

    def scores(self) -> dict[str, float]:
        """The scores of the sources added (at least one)."""
        stressed, plain = self.stressed.scores(), self.plain.scores()
        return {**stressed, "wer": 1.0 - plain["exact_match"], "per": plain["token_error_rate"],
                "wer_stress": 1.0 - stressed["exact_match"],
                "per_stress": stressed["token_error_rate"]}


def closest_of(hypothesis: Sequence[str], references: Iterable[Sequence[str]]) -> Closest:
    """`Closest` after offering each of `references` in turn."""
    closest = Closest(hypothesis)
    for reference in references:
        closest.offer(reference)
    return closest


class SetTotals(Protocol):
    """Scores summed a source at a time (`ScoreTotals`, `G2PTotals`, `TextScoreTotals`)."""

    def add(self, hypothesis: Any, references: Iterable[Any]) -> None: ...

    def scores(self) -> dict[str, float]: ...


def score_set(totals: SetTotals, hypotheses: Sequence[Any], references: Sequence[Any],
              name: str) -> dict[str, float]:
    """`totals`' scores after adding each hypothesis against its references (the closest
    counting); a ValueError naming the function `name` when the lists do not pair up or are
    empty."""
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(f"{name} needs one list of references per hypothesis, and at least "
                         "one hypothesis")
    for hypothesis, options in zip(hypotheses, references):
        totals.add(hypothesis, options)
    return totals.scores()


def score_outputs(hypotheses: Sequence[Sequence[str]],
                  references: Sequence[Sequence[Sequence[str]]],
                  word_level: bool = False) -> dict[str, float]:
    """exact_match, token_error_rate, sentences (and bleu, chrf when word_level)."""
    return score_set(ScoreTotals(word_level), hypotheses, references, "score_outputs")


def g2p_scores(hypotheses: Sequence[Sequence[str]],
               references: Sequence[Sequence[Sequence[str]]]) -> dict[str, float]:
    """Grapheme-to-phoneme scores: word and phoneme error rates without stress (`wer`, `per`:
    stress digits removed from both sides) and with it (`wer_stress`, `per_stress`)."""
    return score_set(G2PTotals(), hypotheses, references, "g2p_scores")
