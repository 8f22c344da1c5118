"""Numba kernels for counting n-gram keys. Plain ndarrays in and out; no project imports.

`np.unique(keys, return_index=True, return_inverse=True, return_counts=True)` sorts an index
array with a stable comparison sort; it was a third of `ngram train`'s counting time. An LSD
radix sort of (key, position) pairs, RADIX_BITS of the key per pass, does the same work in a
few linear passes, since n-gram keys are non-negative and their width is known.
"""

from __future__ import annotations

import numpy as np
from numba import njit

RADIX_BITS = 11


@njit(cache=True)
def radix_sort_pairs(keys, key_bits):
    """(sorted keys, original position of each) for non-negative int64 keys < 2**key_bits;
    stable, so equal keys keep their order of appearance."""
    n = keys.shape[0]
    buckets = 1 << RADIX_BITS
    mask = buckets - 1
    current = keys.copy()
    positions = np.arange(n)
    other = np.empty(n, dtype=np.int64)
    other_positions = np.empty(n, dtype=np.int64)
    shift = 0
    while shift < key_bits:
        starts = np.zeros(buckets + 1, dtype=np.int64)
        for i in range(n):
            starts[((current[i] >> shift) & mask) + 1] += 1
        if starts.max() < n:  # a pass where every key has the same digit changes nothing
            for digit in range(buckets):
                starts[digit + 1] += starts[digit]
            for i in range(n):
                digit = (current[i] >> shift) & mask
                at = starts[digit]
                other[at] = current[i]
                other_positions[at] = positions[i]
                starts[digit] = at + 1
            current, other = other, current
            positions, other_positions = other_positions, positions
        shift += RADIX_BITS
    return current, positions


@njit(cache=True)
def sorted_keys(keys):
    """(keys sorted stably, the position each came from, how many distinct): the radix sort
    over only as many bits as the largest non-negative int64 key needs."""
    n = keys.shape[0]
    key_bits = 1
    if n:
        largest = keys.max()
        while key_bits < 63 and (largest >> key_bits) > 0:
            key_bits += 1
    ordered, positions = radix_sort_pairs(keys, key_bits)
    distinct = 0
    for i in range(n):
        if i == 0 or ordered[i] != ordered[i - 1]:
            distinct += 1
    return ordered, positions, distinct


@njit(cache=True)
def count_keys(keys, values):
    """(distinct keys sorted, count of each, index of each key among them, `values` at each
    distinct key's first occurrence): `np.unique` with return_index/inverse/counts, for
    non-negative int64 keys."""
    n = keys.shape[0]
    ordered, positions, distinct = sorted_keys(keys)
    unique = np.empty(distinct, dtype=np.int64)
    counts = np.zeros(distinct, dtype=np.int64)
    first_values = np.empty(distinct, dtype=values.dtype)
    inverse = np.empty(n, dtype=np.int64)
    group = -1
    for i in range(n):
        if i == 0 or ordered[i] != ordered[i - 1]:
            group += 1
            unique[group] = ordered[i]
            first_values[group] = values[positions[i]]  # stable sort: the first occurrence
        counts[group] += 1
        inverse[positions[i]] = group
    return unique, counts, inverse, first_values


@njit(cache=True)
def sum_keys(keys, weights, values):
    """(distinct keys sorted, sum of `weights` over each, `values` at each one's first
    occurrence): merging count tables whose keys repeat (non-negative int64 keys)."""
    n = keys.shape[0]
    ordered, positions, distinct = sorted_keys(keys)
    unique = np.empty(distinct, dtype=np.int64)
    sums = np.zeros(distinct, dtype=weights.dtype)
    first_values = np.empty(distinct, dtype=values.dtype)
    group = -1
    for i in range(n):
        if i == 0 or ordered[i] != ordered[i - 1]:
            group += 1
            unique[group] = ordered[i]
            first_values[group] = values[positions[i]]
        sums[group] += weights[positions[i]]
    return unique, sums, first_values
