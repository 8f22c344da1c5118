"""N-gram counting over integer ids with sorted int64 keys (a prefix trie laid out in arrays).

Every order n has one table of the distinct n-grams of the padded corpus, sorted by
`key = parent * vocab_size + last_word`, where `parent` is the index of the n-gram's first n-1
words in the order n-1 table. Sorting by that key keeps all n-grams that share a context in one
contiguous run, so per-context sums are `np.bincount(parent, ...)`.

Only one <s> starts each sentence: the n-gram ending at position i has length min(n, i + 1), so
n-grams that would start before the sentence are the shorter ones that start with <s>. That is
exactly what KenLM's lmplz gets when it collapses its `<s> <s> w` padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.nlp.ngram.vocabulary import BOS_ID


@dataclass(frozen=True)
class NgramTable:
    """The distinct n-grams of one order with their raw counts and their links to order n-1."""

    keys: np.ndarray  # int64, sorted: parent * vocab_size + word (unigrams: the word id)
    counts: np.ndarray  # int64 raw counts (unigram <s> is 0: it is never predicted)
    parent: np.ndarray  # int64 index of the first n-1 words in the order n-1 table (unigrams: 0)
    words: np.ndarray  # int64 last word
    suffix: np.ndarray  # int64 index of the last n-1 words in the order n-1 table (unigrams: -1)
    starts_with_bos: np.ndarray  # bool


def count_ngrams(
    padded: np.ndarray, position: np.ndarray, order: int, vocab_size: int
) -> list[NgramTable]:
    """Count all n-grams of orders 1..`order` of a padded corpus (see `pad_sentences`)."""
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    if vocab_size * max(len(padded), 1) >= 2**62:
        raise ValueError("corpus too large for 64-bit n-gram keys")
    words = np.arange(vocab_size, dtype=np.int64)
    unigrams = NgramTable(
        keys=words,
        counts=np.bincount(padded[position > 0], minlength=vocab_size).astype(np.int64),
        parent=np.zeros(vocab_size, dtype=np.int64),
        words=words,
        suffix=np.full(vocab_size, -1, dtype=np.int64),
        starts_with_bos=words == BOS_ID,
    )
    tables = [unigrams]
    node = padded  # index, in the current order's table, of the n-gram ending at each position
    for n in range(2, order + 1):
        ends = np.flatnonzero(position >= n - 1)
        keys = node[ends - 1] * vocab_size + padded[ends]
        unique_keys, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        suffix = np.empty(len(unique_keys), dtype=np.int64)
        suffix[inverse] = node[ends]  # every occurrence of an n-gram has the same suffix
        parent = unique_keys // vocab_size
        tables.append(
            NgramTable(
                keys=unique_keys,
                counts=counts.astype(np.int64),
                parent=parent,
                words=unique_keys - parent * vocab_size,
                suffix=suffix,
                starts_with_bos=tables[-1].starts_with_bos[parent],
            )
        )
        next_node = np.full(len(padded), -1, dtype=np.int64)
        next_node[ends] = inverse
        node = next_node
    return tables


def context_totals(table: NgramTable, n_contexts: int, weights: np.ndarray) -> np.ndarray:
    """Sum `weights` of the n-grams of `table` over each context (a row of the order n-1 table)."""
    return np.bincount(table.parent, weights=weights, minlength=n_contexts)
