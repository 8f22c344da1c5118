"""Scores of a decoded test set where a source may have several references (the closest counts).

`score_outputs` takes, per source, the hypothesis tokens and its references' tokens: exact match
(the hypothesis equals one of the references), token error rate (edit distance to the closest
reference over that reference's length, summed over the set), and for word-level targets BLEU and
chrF against the closest references.
"""

from __future__ import annotations

from collections.abc import Sequence

from seqlab.seqmodels.seq2seq.metrics import (
    closest_reference,
    corpus_bleu,
    corpus_chrf,
    edit_distance,
)


def score_outputs(hypotheses: Sequence[Sequence[str]],
                  references: Sequence[Sequence[Sequence[str]]],
                  word_level: bool = False) -> dict[str, float]:
    """exact_match, token_error_rate, sentences (and bleu, chrf when word_level)."""
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError("score_outputs needs one list of references per hypothesis, and at "
                         "least one hypothesis")
    exact = errors = length = 0
    closest = []
    for hypothesis, options in zip(hypotheses, references):
        best = closest_reference(list(hypothesis), [list(r) for r in options])
        closest.append(best)
        distance = edit_distance(list(hypothesis), best)
        exact += distance == 0
        errors += distance
        length += len(best)
    scores = {"sentences": float(len(hypotheses)), "exact_match": exact / len(hypotheses),
              "token_error_rate": errors / max(length, 1)}
    if word_level:
        scores["bleu"] = corpus_bleu([list(h) for h in hypotheses], closest)
        scores["chrf"] = corpus_chrf([" ".join(h) for h in hypotheses],
                                     [" ".join(r) for r in closest])
    return scores


def g2p_scores(hypotheses: Sequence[Sequence[str]],
               references: Sequence[Sequence[Sequence[str]]]) -> dict[str, float]:
    """Grapheme-to-phoneme scores: word and phoneme error rates without stress (`wer`, `per`:
    stress digits removed from both sides) and with it (`wer_stress`, `per_stress`)."""
    def unstressed(tokens: Sequence[str]) -> list[str]:
        return [token.rstrip("012") for token in tokens]

    stressed = score_outputs(hypotheses, references)
    plain = score_outputs([unstressed(h) for h in hypotheses],
                          [[unstressed(r) for r in refs] for refs in references])
    return {**stressed, "wer": 1.0 - plain["exact_match"], "per": plain["token_error_rate"],
            "wer_stress": 1.0 - stressed["exact_match"],
            "per_stress": stressed["token_error_rate"]}
