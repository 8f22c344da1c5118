"""Numba kernels for counting n-gram keys. Plain ndarrays in and out.

`np.unique(keys, return_index=True, return_inverse=True, return_counts=True)` sorts an index
array with a stable comparison sort; it was a third of `ngram train`'s counting time. An LSD
radix sort of (key, position) pairs, RADIX_BITS of the key per pass, does the same work in a
few linear passes, since n-gram keys are non-negative and their width is known.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401
from seqlab.nlp.ngram.kernels import lower_bound

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


@njit(cache=True)
def _sift_down(heap_keys, heap_parts, size, i):
    """Restore the min-heap order (key, then part) below slot i."""
    while True:
        child = 2 * i + 1
        if child >= size:
            return
        right = child + 1
        if right < size and (heap_keys[right] < heap_keys[child] or (
                heap_keys[right] == heap_keys[child] and heap_parts[right] < heap_parts[child])):
            child = right
        if heap_keys[child] < heap_keys[i] or (
                heap_keys[child] == heap_keys[i] and heap_parts[child] < heap_parts[i]):
            heap_keys[i], heap_keys[child] = heap_keys[child], heap_keys[i]
            heap_parts[i], heap_parts[child] = heap_parts[child], heap_parts[i]
            i = child
        else:
            return


@njit(cache=True)
def merge_sorted_parts(keys, weights, values, offsets):
    """`sum_keys` of parts that are each sorted (part p is rows offsets[p]:offsets[p + 1]):
    a k-way heap merge, O(n log k) sequential reads instead of a radix sort of everything.
    Equal keys are summed; `values` is taken from the lowest part holding the key (the first
    occurrence, as `sum_keys`). The results are views of arrays of len(keys) rows."""
    n = keys.shape[0]
    parts = offsets.shape[0] - 1
    heap_keys = np.empty(max(parts, 1), dtype=np.int64)
    heap_parts = np.empty(max(parts, 1), dtype=np.int64)
    at = offsets[:-1].copy()
    size = 0
    for p in range(parts):
        if offsets[p] < offsets[p + 1]:
            heap_keys[size] = keys[offsets[p]]
            heap_parts[size] = p
            size += 1
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(heap_keys, heap_parts, size, i)
    unique = np.empty(n, dtype=np.int64)
    sums = np.empty(n, dtype=weights.dtype)
    first_values = np.empty(n, dtype=values.dtype)
    last = -1
    while size > 0:
        key = heap_keys[0]
        p = heap_parts[0]
        row = at[p]
        if last < 0 or unique[last] != key:
            last += 1
            unique[last] = key
            sums[last] = weights[row]
            first_values[last] = values[row]
        else:
            sums[last] += weights[row]
        row += 1
        at[p] = row
        if row < offsets[p + 1]:
            heap_keys[0] = keys[row]
        else:
            size -= 1
            heap_keys[0] = heap_keys[size]
            heap_parts[0] = heap_parts[size]
        _sift_down(heap_keys, heap_parts, size, 0)
    return unique[: last + 1], sums[: last + 1], first_values[: last + 1]


@njit(cache=True)
def search_sorted_needles(haystack, needles, start=0):
    """`np.searchsorted(haystack, needles)` (side "left") for needles sorted ascending whose
    answers are all >= `start`: each search gallops on from the previous answer, so a block
    of sorted keys costs about len(needles) * log(len(haystack) / len(needles)) steps and
    touches the haystack in order."""
    n = haystack.shape[0]
    out = np.empty(needles.shape[0], dtype=np.int64)
    low = start
    for i in range(needles.shape[0]):
        x = needles[i]
        if low < n and haystack[low] < x:
            bound = 1
            while low + bound < n and haystack[low + bound] < x:
                bound *= 2
            # haystack[low + bound // 2] < x; haystack[low + bound] >= x, or it is past the end
            low = lower_bound(haystack, low + bound // 2 + 1, min(low + bound, n), x)
        out[i] = low
    return out
