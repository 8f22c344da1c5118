"""Numba kernels that read ARPA n-gram lines from bytes. Plain ndarrays in and out; the exact
product and the sorted search are the writer's and the lookup's (`arpa_kernels.two_product`,
`kernels.find_row`), safe across files since `seqlab.nlp.kernel_caches` guards Numba's caches.

`parse_rows` reads one section's lines from a block of UTF-8 bytes: it splits each line into
fields on KenLM's whitespace (the six ASCII bytes of `kenlm_split`), parses the numbers,
maps the words to ids through an open-addressing hash table of the 1-grams, and turns each
n-gram into its key (`row of its (n-1)-gram prefix * vocab_size + last word`, the layout of
`kernels`) by binary search in the finished lower orders. A line it cannot take whole (a
number off the exact fast path, a wrong field count, an unknown word, a bad probability)
stops it: the caller reads that line with Python (`arpa_reader`), which also raises the errors.

Numbers parse to exactly what Python's `float()` gives: a decimal mantissa m < 2**53 times a
power of ten <= 22 is one correctly rounded multiply or divide (Clinger's fast path); a longer
mantissa (seqlab writes 17 significant digits) is divided in double-double arithmetic and
rounded, and a result within the error bound of a halfway point is left to Python.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401
from seqlab.nlp.ngram.arpa_kernels import two_product
from seqlab.nlp.ngram.kernels import find_row

POW10 = np.array([float(10**k) for k in range(23)])  # exact doubles
TWO53 = 2**53
MAX_MANTISSA = 2**62
MASK32 = (1 << 32) - 1
FNV_PRIME = 0x01000193
ROW, SECTION_END, NEED_MORE, FULL, SLOW = 0, 1, 2, 3, 4
MAX_FIELDS = 64  # more fields than any order's line: the line is left to Python


@njit(cache=True, inline="always")
def field_space(data, i, stop):
    """1 when data[i] is whitespace as KenLM splits on it (space, tab, \\n, \\r, \\v, \\f:
    `kenlm_split.KENLM_WHITESPACE`; U+00A0 and the other Unicode spaces are word bytes), else
    0. `stop` is unused: kept so that the callers' calls read as before."""
    b = data[i]
    return 1 if b == 32 or 9 <= b <= 13 else 0


@njit(cache=True)
def divide_exactly_rounded(mantissa, power):
    """(mantissa / 10**power correctly rounded, True), or (0, False) when too near a tie.

    2**53 <= mantissa < 2**62, 0 <= power <= 22. The quotient is formed in double-double
    (relative error below 2**-98), rounded to the nearest double, and accepted unless the exact
    quotient could lie on the other side of a halfway point."""
    divisor = POW10[power]
    high = float(mantissa)
    low = float(mantissa - np.int64(high))  # exact: |low| <= 2**9
    q1 = high / divisor
    p, e = two_product(q1, divisor)
    remainder = ((high - p) - e) + low
    q2 = remainder / divisor
    s = q1 + q2
    tail = (q1 - s) + q2  # q1 + q2 - s, exact (|q2| <= ulp(q1))
    fraction, exponent = math.frexp(s)
    ulp = math.ldexp(1.0, exponent - 53)
    half_gap = 0.25 * ulp if (fraction == 0.5 and tail < 0) else 0.5 * ulp
    if abs(abs(tail) - half_gap) <= math.ldexp(abs(s), -90):
        return 0.0, False
    return s, True


@njit(cache=True)
def parse_number(data, start, end):
    """(value, True) for a decimal number read exactly as `float()` reads it, else (0, False).

    Takes [+-]digits[.digits][(e|E)[+-]digits]; anything else (underscores, nan, inf, hex, too
    many digits, exponents out of the exact range) is left to the caller."""
    i = start
    negative = False
    if i < end and (data[i] == 45 or data[i] == 43):
        negative = data[i] == 45
        i += 1
    mantissa = np.int64(0)
    digits = 0
    exponent = 0
    while i < end and 48 <= data[i] <= 57:
        if mantissa >= MAX_MANTISSA // 10:
            return 0.0, False
        mantissa = mantissa * 10 + (int(data[i]) - 48)
        digits += 1
        i += 1
    if i < end and data[i] == 46:
        i += 1
        while i < end and 48 <= data[i] <= 57:
            if mantissa >= MAX_MANTISSA // 10:
                return 0.0, False
            mantissa = mantissa * 10 + (int(data[i]) - 48)
            digits += 1
            exponent -= 1
            i += 1
    if digits == 0:
        return 0.0, False
    if i < end and (data[i] == 101 or data[i] == 69):
        i += 1
        exponent_negative = False
        if i < end and (data[i] == 45 or data[i] == 43):
            exponent_negative = data[i] == 45
            i += 1
        written = 0
        value = 0
        while i < end and 48 <= data[i] <= 57:
            if value < 10000:
                value = value * 10 + (int(data[i]) - 48)
            written += 1
            i += 1
        if written == 0:
            return 0.0, False
        exponent += -value if exponent_negative else value
    if i != end:
        return 0.0, False
    if mantissa == 0:
        result = 0.0
    elif mantissa < TWO53 and 0 <= exponent <= 22:
        result = float(mantissa) * POW10[exponent]
    elif mantissa < TWO53 and -22 <= exponent < 0:
        result = float(mantissa) / POW10[-exponent]
    elif -22 <= exponent < 0:
        result, ok = divide_exactly_rounded(mantissa, -exponent)
        if not ok:
            return 0.0, False
    else:
        return 0.0, False
    return (-result if negative else result), True


@njit(cache=True)
def word_hash(data, start, end):
    """32-bit FNV-1a over the word's bytes (no overflow: the same in Python and Numba)."""
    h = np.int64(0x811C9DC5)
    for i in range(start, end):
        h = ((h ^ data[i]) * FNV_PRIME) & MASK32
    return h ^ (h >> 16)


@njit(cache=True)
def build_word_table(vocab_bytes, vocab_offsets):
    """Open-addressing table (power-of-two size, -1 empty) of word ids by their bytes."""
    vocab_size = len(vocab_offsets) - 1
    size = 16
    while size < 2 * vocab_size:
        size *= 2
    table = np.full(size, -1, dtype=np.int64)
    for word in range(vocab_size):
        slot = word_hash(vocab_bytes, vocab_offsets[word], vocab_offsets[word + 1]) & (size - 1)
        while table[slot] >= 0:
            slot = (slot + 1) & (size - 1)
        table[slot] = word
    return table


@njit(cache=True)
def find_word(data, start, end, vocab_bytes, vocab_offsets, table):
    """Id of the word data[start:end] in the table, or -1."""
    size = len(table)
    slot = word_hash(data, start, end) & (size - 1)
    length = end - start
    while True:
        word = table[slot]
        if word < 0:
            return -1
        first = vocab_offsets[word]
        if vocab_offsets[word + 1] - first == length:
            same = True
            for k in range(length):
                if vocab_bytes[first + k] != data[start + k]:
                    same = False
                    break
            if same:
                return word
        slot = (slot + 1) & (size - 1)


@njit(cache=True)
def same_bytes(data, start, end, other_start, other_end):
    """data[start:end] == data[other_start:other_end] (other_start -1: no span)."""
    if other_start < 0 or end - start != other_end - other_start:
        return False
    for k in range(end - start):  # noqa: SIM110 (a loop Numba compiles)
        if data[start + k] != data[other_start + k]:
            return False
    return True


@njit(cache=True)
def find_sorted(keys, start, end, key, hint):
    """Index of `key` in the sorted keys[start:end] (relative to start), or -1.

    `hint` (relative; -1 for none) is where the previous key was found: files in key order
    ask for increasing keys, found by galloping forward from it in a few steps."""
    lo, hi = start, end
    if hint >= 0 and start + hint < end and keys[start + hint] < key:
        lo = start + hint + 1
        step = 1
        bound = lo
        while bound < end and keys[bound] < key:
            lo = bound + 1
            bound = lo + step
            step *= 2
        hi = min(bound + 1, end)
    row = find_row(keys, lo, hi, key)
    return row - start if row >= 0 else -1


@njit(cache=True)
def parse_rows(data, pos, order, vocab_bytes, vocab_offsets, table, vocab_size, flat_keys,
               offsets, prefix_words, prefix_rows, out_keys, out_prob, out_backoff, out_words,
               spans):
    """Read one section's lines from data[pos:] into out_* until something stops it.

    Returns (position, rows read, status): SECTION_END (the line at position is blank or
    starts with a backslash), NEED_MORE (no whole line left), FULL (the out arrays are full)
    or SLOW (the line at position is for the caller). Order 1 writes each word's byte span to
    spans[row] instead of a key. For higher orders out_keys[row] is -1 when a prefix of the
    n-gram is not listed (a pruned file); out_words holds every row's word ids.
    prefix_words / prefix_rows (length order) carry the last prefix found across calls."""
    stop = len(data)
    fields = np.empty((MAX_FIELDS, 2), dtype=np.int64)
    previous = np.full((order, 3), -1, dtype=np.int64)  # last line's word spans and ids
    rows = 0
    capacity = len(out_prob)
    while True:
        line_end = pos
        while line_end < stop and data[line_end] != 10:
            line_end += 1
        if line_end >= stop:
            return pos, rows, NEED_MORE
        if data[pos] == 92:  # a backslash: the next section or the end
            return pos, rows, SECTION_END
        count = 0
        i = pos
        while i < line_end:
            space = field_space(data, i, line_end)
            if space:
                i += space
                continue
            field_start = i
            while i < line_end and field_space(data, i, line_end) == 0:
                i += 1
            if count < MAX_FIELDS:
                fields[count, 0] = field_start
                fields[count, 1] = i
            count += 1
        if count == 0:
            return pos, rows, SECTION_END
        if rows == capacity:
            return pos, rows, FULL
        if (count != order + 1 and count != order + 2) or count > MAX_FIELDS:
            return pos, rows, SLOW
        prob, ok = parse_number(data, fields[0, 0], fields[0, 1])
        if not ok or prob > 1e-6:
            return pos, rows, SLOW
        backoff = 0.0
        if count == order + 2:
            backoff, ok = parse_number(data, fields[order + 1, 0], fields[order + 1, 1])
            if not ok:
                return pos, rows, SLOW
        if order == 1:
            spans[rows, 0] = fields[1, 0]
            spans[rows, 1] = fields[1, 1]
        else:
            for j in range(order):
                start, end = fields[j + 1, 0], fields[j + 1, 1]
                if same_bytes(data, start, end, previous[j, 0], previous[j, 1]):
                    word = previous[j, 2]  # n-grams in a file share their first words
                else:
                    word = find_word(data, start, end, vocab_bytes, vocab_offsets, table)
                    if word < 0:
                        return pos, rows, SLOW
                    previous[j, 0], previous[j, 1], previous[j, 2] = start, end, word
                out_words[rows, j] = word
            out_keys[rows] = ngram_key(out_words[rows], order, vocab_size, flat_keys, offsets,
                                       prefix_words, prefix_rows)
        out_prob[rows] = prob
        out_backoff[rows] = backoff
        rows += 1
        pos = line_end + 1


@njit(cache=True)
def ngram_key(words, order, vocab_size, flat_keys, offsets, prefix_words, prefix_rows):
    """The key of the n-gram `words` (its prefix's row * vocab_size + last word), or -1 when a
    prefix is not listed. Reuses the rows found for the previous n-gram's common prefix."""
    parent = words[0]
    same = prefix_words[0] == parent
    prefix_words[0] = parent
    prefix_rows[0] = parent
    for m in range(1, order - 1):
        if same and prefix_words[m] == words[m]:
            parent = prefix_rows[m]
        else:
            same = False
            prefix_words[m] = words[m]
            row = -1
            if parent >= 0:
                row = find_sorted(flat_keys, offsets[m], offsets[m + 1],
                                  parent * vocab_size + words[m], prefix_rows[m])
            prefix_rows[m] = row
            parent = row
        if parent < 0:
            for later in range(m + 1, order - 1):
                prefix_words[later] = -1
            return -1
    return parent * vocab_size + words[order - 1]
