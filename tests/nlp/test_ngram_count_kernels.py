"""The radix-sort counting kernels against np.unique (kernels marker: CI reruns these with
NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.nlp.ngram import count_kernels
from seqlab.nlp.ngram.sentences import LineTokens

pytestmark = pytest.mark.kernels


@pytest.mark.parametrize(("n", "high"), [(0, 1), (1, 5), (500, 3), (2000, 2**40), (3000, 2**62)])
def test_count_keys_equals_np_unique(n, high):
    rng = np.random.default_rng(n)
    keys = rng.integers(0, high, n, dtype=np.int64)
    if n > 10:
        keys[::7] = keys[0]  # repeats, and keys sharing every low digit
        keys[1::11] = keys[0] + (1 << 33) if high > 2**34 else keys[1::11]
    values = rng.integers(-5, 10**6, n, dtype=np.int64)
    unique, counts, inverse, first_values = count_kernels.count_keys(keys, values)
    want_unique, first, want_inverse, want_counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(unique, want_unique)
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(inverse, want_inverse.reshape(-1))
    np.testing.assert_array_equal(first_values, values[first])


def test_sum_keys_equals_np_unique_and_bincount():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 300, 4000, dtype=np.int64) * 70001
    weights = rng.integers(1, 9, 4000, dtype=np.int64)
    values = rng.integers(0, 50, 4000, dtype=np.int64)
    unique, sums, first_values = count_kernels.sum_keys(keys, weights, values)
    want, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    np.testing.assert_array_equal(unique, want)
    np.testing.assert_array_equal(sums, np.bincount(inverse.reshape(-1), weights=weights))
    np.testing.assert_array_equal(first_values, values[first])


def test_radix_sort_is_stable():
    keys = np.array([5, 3, 5, 3, 0, 5], dtype=np.int64)
    ordered, positions = count_kernels.radix_sort_pairs(keys, 3)
    np.testing.assert_array_equal(ordered, [0, 3, 3, 5, 5, 5])
    np.testing.assert_array_equal(positions, [4, 1, 3, 0, 2, 5])


def test_whitespace_level_splits_as_str_split():
    tokens = LineTokens("whitespace")
    assert tokens("  The cat,  sat.\tOK  \n") == ["The", "cat,", "sat.", "OK"]
    assert LineTokens("whitespace", lowercase=True)("A B") == ["a", "b"]
    assert tokens("   \n") == []


@pytest.mark.parametrize("parts", [0, 1, 2, 7, 40])
def test_merge_sorted_parts_equals_sum_keys(parts):
    rng = np.random.default_rng(parts)
    pieces = []
    for _ in range(parts):  # sorted distinct keys per part, repeated across parts
        size = int(rng.integers(0, 300))
        pieces.append(np.unique(rng.integers(0, 2000, size, dtype=np.int64) * 70001))
    keys = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    offsets = np.cumsum([0] + [len(p) for p in pieces], dtype=np.int64)
    weights = rng.integers(1, 9, len(keys), dtype=np.int64)
    values = rng.integers(0, 50, len(keys), dtype=np.int64)  # first occurrence wins
    unique, sums, first_values = count_kernels.merge_sorted_parts(keys, weights, values, offsets)
    want = count_kernels.sum_keys(keys, weights, values)
    for got, expected in zip((unique, sums, first_values), want):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("needles", "haystack"), [(0, 10), (50, 0), (300, 5), (1000, 100000)])
def test_search_sorted_needles_equals_np_searchsorted(needles, haystack):
    rng = np.random.default_rng(needles + haystack)
    table = np.sort(rng.integers(0, 10**6, haystack, dtype=np.int64))
    wanted = np.sort(np.concatenate([rng.integers(-5, 10**6 + 5, needles, dtype=np.int64),
                                     table[: needles // 3]]))  # hits, misses, repeats, ends
    np.testing.assert_array_equal(count_kernels.search_sorted_needles(table, wanted),
                                  np.searchsorted(table, wanted))
