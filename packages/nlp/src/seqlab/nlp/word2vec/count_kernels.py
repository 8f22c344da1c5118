"""Numba kernels that count words in a compact hash table: bytes in one buffer, no Python objects.

A dict of str -> int costs ~100 bytes a distinct word (the str, its slot, the table's slack);
these kernels keep a word as its UTF-8 bytes in one growing buffer plus an int64 offset, an
int64 count and an int32 slot of an open-addressing table (linear probing, FNV-1a hash): ~30
bytes and the word's length. Word indices are first-seen order, as a dict's insertion order.
"""

import numpy as np
from numba import njit

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401

FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)


@njit(cache=True, nogil=True)
def fnv1a(data, start, end):
    """64-bit FNV-1a hash of data[start:end] (uint8)."""
    value = FNV_OFFSET
    for i in range(start, end):
        value = (value ^ np.uint64(data[i])) * FNV_PRIME
    return value


@njit(cache=True, nogil=True)
def count_separated(data, separator, amounts, start, token, table, blob, blob_used, offsets,
                    counts, num_words, word_limit):
    """Add amounts[k] to the count of the k-th word of data (uint8, words separated by one
    `separator` byte), from byte `start`, which begins word number `token`.

    A new word is appended to blob (which must have room for all of data) with its end at
    offsets[index + 1]. Stops before the first new word that would make num_words exceed
    word_limit, so the caller can grow the arrays and call again from the returned position.
    Returns (position, token, blob_used, num_words); position is len(data) + 1 when every word
    was counted.
    """
    mask = table.shape[0] - 1
    length_total = data.shape[0]
    for position in range(start, length_total + 1):
        if position < length_total and data[position] != separator:
            continue
        length = position - start
        slot = np.int64(fnv1a(data, start, position) & np.uint64(mask))
        while True:
            entry = table[slot]
            if entry == 0:
                if num_words >= word_limit:
                    return start, token, blob_used, num_words
                for i in range(length):
                    blob[blob_used + i] = data[start + i]
                blob_used += length
                offsets[num_words + 1] = blob_used
                counts[num_words] = amounts[token]
                num_words += 1
                table[slot] = num_words
                break
            word = entry - 1
            word_start = offsets[word]
            if offsets[word + 1] - word_start == length:
                same = True
                for i in range(length):
                    if blob[word_start + i] != data[start + i]:
                        same = False
                        break
                if same:
                    counts[word] += amounts[token]
                    break
            slot = (slot + 1) & mask
        start = position + 1
        token += 1
    return length_total + 1, token, blob_used, num_words


@njit(cache=True, nogil=True)
def fill_table(table, blob, offsets, num_words):
    """Insert words 0..num_words-1 into an empty table (after it grew)."""
    mask = table.shape[0] - 1
    for word in range(num_words):
        slot = np.int64(fnv1a(blob, offsets[word], offsets[word + 1]) & np.uint64(mask))
        while table[slot] != 0:
            slot = (slot + 1) & mask
        table[slot] = word + 1
