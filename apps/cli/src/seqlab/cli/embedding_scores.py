"""How `word2vec evaluate` shows its scores: each with the number of pairs or questions it was
computed over and how many were skipped (out of vocabulary), as gensim's evaluations report
them, and a caution when most were skipped."""

from __future__ import annotations

import math
import warnings
from typing import Any

# Why a correlation is undefined (shown as `-`, null in JSON, with this reason)
FEWER_THAN_TWO = "fewer than 2 pairs in the vocabulary"
CONSTANT = "the human or the model's scores are all equal"


def correlations(kv: Any, path: Any, errors: str, counts: dict[str, int]) -> dict[str, Any]:
    """Pearson and Spearman of `kv.evaluate_word_pairs` (filling `counts`): None, with an
    "undefined" reason, where no correlation exists (one pair; constant scores, where scipy
    and gensim give NaN), so that one pair and many constant pairs read the same."""
    with warnings.catch_warnings():  # scipy's ConstantInputWarning: said as "undefined"
        warnings.simplefilter("ignore")
        try:
            pearson, spearman, oov = kv.evaluate_word_pairs(path, errors=errors, counts=counts)
        except ValueError:
            if not counts.get("used"):  # a file error, or no pair: not scipy's one point
                raise
            total = counts["used"] + counts["skipped"]
            return {"pearson": None, "spearman": None,
                    "oov_percent": 100 * counts["skipped"] / total, "undefined": FEWER_THAN_TWO}
    scores: dict[str, Any] = {"pearson": float(pearson[0]), "spearman": float(spearman[0]),
                              "oov_percent": float(oov)}
    if counts["used"] < 2:
        reason: str | None = FEWER_THAN_TWO
    elif not (math.isfinite(scores["pearson"]) and math.isfinite(scores["spearman"])):
        reason = CONSTANT
    else:
        reason = None
    if reason is not None:
        scores.update(pearson=None, spearman=None, undefined=reason)
    return scores


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _coverage(used: int, skipped: int, noun: str) -> str:
    total = used + skipped
    share = 100 * skipped / total if total else 0.0
    return f"over {used} of {total} {noun} ({share:.1f}% out of vocabulary, skipped)"


def score_line(name: str, values: dict[str, Any]) -> str:
    """'wordsim353: pearson 0.7831, spearman 0.8000 over 4 of 353 pairs (98.9% out of
    vocabulary, skipped)', or the analogies' accuracy over its questions."""
    if "accuracy" in values:
        scores = f"accuracy {_number(values['accuracy'])}"
        counts = _coverage(values["questions_used"], values["questions_skipped"], "questions")
    else:
        scores = f"pearson {_number(values['pearson'])}, spearman {_number(values['spearman'])}"
        counts = _coverage(values["pairs_used"], values["pairs_skipped"], "pairs")
        if values.get("undefined"):
            counts += f"; undefined: {values['undefined']}"
    return f"{name:>16}: {scores} {counts}"


def low_coverage(name: str, values: dict[str, Any]) -> str | None:
    """A caution when most of a set was out of vocabulary (its score then describes a few
    items, not the benchmark), else None."""
    noun = "questions" if "accuracy" in values else "pairs"
    used, skipped = values[f"{noun}_used"], values[f"{noun}_skipped"]
    if skipped <= used:
        return None
    return (f"{name}: only {used} of {used + skipped} {noun} are in the vocabulary; a score "
            "over so few is not comparable with published results on the full set")
