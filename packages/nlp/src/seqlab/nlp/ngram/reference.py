"""Plain-Python references for the kernels: the ARPA backoff rule on a dict of word tuples.

Slow on purpose and written straight from the definition, so tests can compare the kernels with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def ngram_dict(
    vocab_size: int,
    keys: Sequence[np.ndarray],
    logprob: Sequence[np.ndarray],
    logbackoff: Sequence[np.ndarray],
) -> dict[tuple[int, ...], tuple[float, float]]:
    """{word-id tuple: (log prob, log backoff)} for every listed n-gram."""
    table: dict[tuple[int, ...], tuple[float, float]] = {}
    previous: list[tuple[int, ...]] = []
    for order_keys, order_logprob, order_logbackoff in zip(keys, logprob, logbackoff):
        current = []
        for key, lp, bo in zip(order_keys.tolist(), order_logprob.tolist(),
                               order_logbackoff.tolist()):
            parent, word = divmod(key, vocab_size)
            ngram = (*previous[parent], word) if previous else (word,)
            current.append(ngram)
            table[ngram] = (lp, bo)
        previous = current
    return table


def backoff_logprob(
    table: dict[tuple[int, ...], tuple[float, float]],
    context: tuple[int, ...],
    word: int,
    constant_backoff: float | None = None,
) -> float:
    """log p(word | context) by the ARPA rule (or Stupid Backoff's constant penalty)."""
    if (*context, word) in table:
        return table[(*context, word)][0]
    if constant_backoff is not None:
        backoff = constant_backoff
    else:
        backoff = table[context][1] if context in table else 0.0
    return backoff + backoff_logprob(table, context[1:], word, constant_backoff)


def score_padded_reference(
    padded: np.ndarray,
    is_start: np.ndarray,
    order: int,
    table: dict[tuple[int, ...], tuple[float, float]],
    bos_id: int,
    constant_backoff: float | None = None,
) -> np.ndarray:
    """Log probability of each id of a padded corpus given its sentence so far (0 where
    `is_start`, a sentence's <s>; a literal <s> elsewhere is a word like any other)."""
    out = np.zeros(len(padded))
    history: list[int] = []
    for i, word in enumerate(padded.tolist()):
        if is_start[i]:
            history = [bos_id]
            continue
        context = tuple(history[max(len(history) - (order - 1), 0):]) if order > 1 else ()
        out[i] = backoff_logprob(table, context, word, constant_backoff)
        history.append(word)
    return out


def arpa_lines_reference(
    vocab: Sequence[str],
    keys: Sequence[np.ndarray],
    logprob: Sequence[np.ndarray],
    logbackoff: Sequence[np.ndarray],
) -> list[str]:
    """Every n-gram line of an ARPA file as Python writes it (names joined, `repr` of log10)."""
    lines: list[str] = []
    names: list[str] = list(vocab)
    order, vocab_size = len(keys), len(vocab)
    for n in range(1, order + 1):
        if n > 1:
            parent, words = np.divmod(keys[n - 1], vocab_size)
            names = [f"{names[p]} {vocab[w]}" for p, w in zip(parent.tolist(), words.tolist())]
        probs = np.maximum(logprob[n - 1] / np.log(10.0), -99.0).tolist()
        backoffs = np.maximum(logbackoff[n - 1] / np.log(10.0), -99.0).tolist()
        for name, p, b in zip(names, probs, backoffs):
            lines.append(f"{p!r}\t{name}\t{b!r}" if n < order else f"{p!r}\t{name}")
    return lines
