"""Numba kernel for the BPE training merge loop, and its plain-Python reference.

No project imports here: ndarrays in, ndarrays out.

The corpus is its distinct pre-token words, concatenated into one symbol array with a count per
word. Each word is a doubly linked list over its positions, so a merge is O(1) per occurrence.
Pair counts are updated incrementally; each pair keeps a FIFO list of the positions where it was
seen (entries go stale as merges happen and are re-checked when visited), and a max-heap with lazy
deletion finds the most frequent pair. Ties go to the smallest pair key (left * base + right),
that is the smallest (left, right) pair of ids: Hugging Face's BpeTrainer rule, which gives its
merges in its order when the caller numbers the bytes as it does (`bpe.ALPHABET_ORDERS`).
"""

from __future__ import annotations

import heapq
from itertools import pairwise

import numpy as np
from numba import njit, types
from numba.typed import Dict

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401

_DEAD = -1


@njit(cache=True)
def _add_count(counts, key, amount):
    counts[key] = counts.get(key, 0) + amount


@njit(cache=True)
def _append_occurrence(heads, tails, occ_pos, occ_next, n_occ, key, position):
    occ_pos[n_occ] = position
    occ_next[n_occ] = -1
    if key in tails:
        occ_next[tails[key]] = n_occ
    else:
        heads[key] = n_occ
    tails[key] = n_occ
    return n_occ + 1


@njit(cache=True)
def train_merges(symbols, word_lengths, word_counts, n_merges, min_frequency, first_new_id):
    """Learn up to n_merges merges; returns an (m, 2) int64 array of (left, right) symbol ids.

    Merge k creates symbol first_new_id + k. Stops early when the best pair is seen fewer than
    min_frequency times (or no pair is left).
    """
    n = symbols.shape[0]
    base = np.int64(first_new_id + n_merges)
    sym = symbols.astype(np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    prv = np.full(n, -1, dtype=np.int64)
    weight = np.empty(n, dtype=np.int64)
    start = 0
    for w in range(word_lengths.shape[0]):
        length = word_lengths[w]
        for p in range(start, start + length):
            weight[p] = word_counts[w]
            if p > start:
                prv[p] = p - 1
            if p < start + length - 1:
                nxt[p] = p + 1
        start += length

    counts = Dict.empty(key_type=types.int64, value_type=types.int64)
    heads = Dict.empty(key_type=types.int64, value_type=types.int64)
    tails = Dict.empty(key_type=types.int64, value_type=types.int64)
    # Each applied merge adds at most two occurrences and removes a position: 3n bounds them all.
    capacity = 3 * n + 2
    occ_pos = np.empty(capacity, dtype=np.int64)
    occ_next = np.empty(capacity, dtype=np.int64)
    n_occ = 0
    for p in range(n):
        if nxt[p] != -1:
            key = sym[p] * base + sym[nxt[p]]
            _add_count(counts, key, weight[p])
            n_occ = _append_occurrence(heads, tails, occ_pos, occ_next, n_occ, key, p)

    heap = [(np.int64(0), np.int64(0))]
    heap.pop()
    for key, count in counts.items():
        heap.append((-count, key))
    heapq.heapify(heap)

    merges = np.empty((n_merges, 2), dtype=np.int64)
    touched = Dict.empty(key_type=types.int64, value_type=types.int64)
    n_done = 0
    while n_done < n_merges:
        best_key = np.int64(-1)
        best_count = np.int64(0)
        while len(heap) > 0:
            negative_count, key = heapq.heappop(heap)
            current = counts.get(key, 0)
            if current == -negative_count:
                best_key = key
                best_count = current
                break
            if 0 < current < -negative_count:  # stale-high entry: requeue at its true count
                heapq.heappush(heap, (-current, key))
        if best_key < 0 or best_count <= 0 or best_count < min_frequency:
            break
        left = best_key // base
        right = best_key % base
        new = np.int64(first_new_id + n_done)
        merges[n_done, 0] = left
        merges[n_done, 1] = right
        touched.clear()
        occ = heads[best_key]
        while occ != -1:
            p = occ_pos[occ]
            occ = occ_next[occ]
            q = nxt[p]
            if sym[p] != left or q == -1 or sym[q] != right:
                continue  # stale: this occurrence was consumed by an earlier merge
            w = weight[p]
            before = prv[p]
            after = nxt[q]
            if before != -1:
                _add_count(counts, sym[before] * base + left, -w)
                key = sym[before] * base + new
                _add_count(counts, key, w)
                touched[key] = 1
                n_occ = _append_occurrence(heads, tails, occ_pos, occ_next, n_occ, key, before)
            if after != -1:
                _add_count(counts, right * base + sym[after], -w)
                key = new * base + sym[after]
                _add_count(counts, key, w)
                touched[key] = 1
                n_occ = _append_occurrence(heads, tails, occ_pos, occ_next, n_occ, key, p)
            _add_count(counts, best_key, -w)
            sym[p] = new
            sym[q] = _DEAD
            nxt[p] = after
            if after != -1:
                prv[after] = p
        for key in touched:
            count = counts[key]
            if count > 0:
                heapq.heappush(heap, (-count, key))
        n_done += 1
    return merges[:n_done].copy()


def reference_train_merges(
    symbols: np.ndarray,
    word_lengths: np.ndarray,
    word_counts: np.ndarray,
    n_merges: int,
    min_frequency: int,
    first_new_id: int,
) -> np.ndarray:
    """Plain-Python reference: recount every pair before each merge, merge left to right."""
    base = first_new_id + n_merges
    words, start = [], 0
    for length in word_lengths:
        words.append([int(s) for s in symbols[start : start + length]])
        start += int(length)
    merges: list[tuple[int, int]] = []
    for k in range(n_merges):
        pair_counts: dict[tuple[int, int], int] = {}
        for word, count in zip(words, word_counts):
            for pair in pairwise(word):
                pair_counts[pair] = pair_counts.get(pair, 0) + int(count)
        if not pair_counts:
            break
        best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair[0] * base + pair[1]))
        if pair_counts[best] < min_frequency:
            break
        merges.append(best)
        new = first_new_id + k
        for i, word in enumerate(words):
            merged, j = [], 0
            while j < len(word):
                if j + 1 < len(word) and (word[j], word[j + 1]) == best:
                    merged.append(new)
                    j += 2
                else:
                    merged.append(word[j])
                    j += 1
            words[i] = merged
    return np.array(merges, dtype=np.int64).reshape(-1, 2)
