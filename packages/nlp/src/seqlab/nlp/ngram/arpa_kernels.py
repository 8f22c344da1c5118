"""Numba kernels that write ARPA lines as bytes. Plain ndarrays in and out.

Python's `repr` of every probability and `f"{names[p]} {word}"` for every n-gram were three
quarters of `ngram train`'s time on a 20 MB corpus, and the names of every n-gram of every
order were held as Python strings at once. These kernels write rows straight into a byte
buffer, following each n-gram's parent links to spell its words.

Numbers are written with 17 significant digits, correctly rounded (the exact product of the
value and a power of ten is formed with Dekker's two-product), trailing zeros dropped; 17
significant digits identify every double, so a reader gets back the value written. Values the
kernel cannot write exactly (|x| < 1e-6 or >= 1e3 other than 0, NaN, infinities) are left to
the caller, which writes that row with Python's `repr`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401

POW10 = np.array([float(10**k) for k in range(23)])  # exact doubles
SPLITTER = 134217729.0  # 2**27 + 1
LOW_DIGITS = 10**16
HIGH_DIGITS = 10**17
OK, FULL, UNWRITABLE = 0, 1, 2


@njit(cache=True)
def two_product(a, b):
    """(p, e) with p = fl(a * b) and p + e == a * b exactly (Dekker)."""
    p = a * b
    big_a = a * SPLITTER
    a_high = big_a - (big_a - a)
    a_low = a - a_high
    big_b = b * SPLITTER
    b_high = big_b - (big_b - b)
    b_low = b - b_high
    e = ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low
    return p, e


@njit(cache=True)
def scaled_digits(a, k):
    """round(a * 10**k) as an int64, from the exact product (a > 0, 0 <= k <= 22)."""
    p, e = two_product(a, POW10[k])
    whole = math.floor(p)
    rest = (p - whole) + e
    return np.int64(whole) + np.int64(math.floor(rest + 0.5))


@njit(cache=True)
def write_number(value, out, at, text):
    """Write `value` at out[at:]; the new position, or -1 if it cannot be written exactly.

    `text` is scratch space for 17 digits (uint8)."""
    if value == 0.0:
        if math.copysign(1.0, value) < 0:
            out[at] = 45  # '-'
            at += 1
        out[at] = 48
        out[at + 1] = 46
        out[at + 2] = 48  # "0.0"
        return at + 3
    a = abs(value)
    if not (a >= 1e-6 and a < 1e3):  # also NaN
        return -1
    k = 16 - math.floor(math.log10(a))
    digits = np.int64(0)
    for _ in range(3):  # log10 may be one off at a power of ten
        if k < 0 or k > 22:
            return -1
        digits = scaled_digits(a, k)
        if digits >= HIGH_DIGITS:
            k -= 1
        elif digits < LOW_DIGITS:
            k += 1
        else:
            break
    if digits < LOW_DIGITS or digits >= HIGH_DIGITS:
        return -1
    for i in range(16, -1, -1):
        text[i] = 48 + digits % 10
        digits //= 10
    last = 16
    while last > 0 and text[last] == 48:
        last -= 1
    if value < 0:
        out[at] = 45
        at += 1
    whole = 17 - k  # digits before the decimal point
    if whole > 0:
        for i in range(whole):
            out[at] = text[i]
            at += 1
        out[at] = 46
        at += 1
        if last < whole:
            out[at] = 48
            at += 1
        for i in range(whole, last + 1):
            out[at] = text[i]
            at += 1
    else:
        out[at] = 48
        out[at + 1] = 46
        at += 2
        for _ in range(-whole):
            out[at] = 48
            at += 1
        for i in range(last + 1):
            out[at] = text[i]
            at += 1
    return at


@njit(cache=True)
def write_line(words, order, log10prob, log10backoff, with_backoff, vocab_text, vocab_offsets,
               out, at, text):
    """Write one ARPA line `prob<TAB>w1 .. wn[<TAB>backoff]` at out[at:] (words[:order] are
    the ids). The new position; -1 when `out` has no room; -2 when a value cannot be written
    by `write_number` (nothing is written then)."""
    need = 2 * 32 + 3
    for m in range(order):
        need += vocab_offsets[words[m] + 1] - vocab_offsets[words[m]] + 1
    if at + need > out.shape[0]:
        return -1
    at = write_number(log10prob, out, at, text)
    if at < 0:
        return -2
    for m in range(order):
        out[at] = 9 if m == 0 else 32  # tab before the words, spaces between them
        at += 1
        for byte in range(vocab_offsets[words[m]], vocab_offsets[words[m] + 1]):
            out[at] = vocab_text[byte]
            at += 1
    if with_backoff:
        out[at] = 9
        at = write_number(log10backoff, out, at + 1, text)
        if at < 0:
            return -2
    out[at] = 10
    return at + 1


@njit(cache=True)
def write_rows(order, start, stop, vocab_size, keys, offsets, vocab_text, vocab_offsets,
               log10prob, log10backoff, with_backoff, out):
    """Write ARPA lines `prob<TAB>w1 .. wn[<TAB>backoff]` of rows start..stop of order `order`.

    `keys`/`offsets` are the model's flat tables (`kernels`), `log10prob[i]` / `log10backoff[i]`
    the values of row start + i. Returns (bytes used, next row, status): status OK when every
    row was written, FULL when `out` has no room for the next row, UNWRITABLE when the next
    row holds a value `write_number` cannot write (the caller writes that row itself).
    """
    at = 0
    words = np.empty(order, dtype=np.int64)
    text = np.empty(17, dtype=np.uint8)
    for row in range(start, stop):
        node = row
        for m in range(order, 1, -1):
            key = keys[offsets[m - 1] + node]
            words[m - 1] = key % vocab_size
            node = key // vocab_size
        words[0] = node
        end = write_line(words, order, log10prob[row - start], log10backoff[row - start],
                         with_backoff, vocab_text, vocab_offsets, out, at, text)
        if end == -1:
            return at, row, FULL
        if end == -2:
            return at, row, UNWRITABLE
        at = end
    return at, stop, OK


@njit(cache=True)
def write_word_rows(words, start, log10prob, log10backoff, with_backoff, vocab_text,
                    vocab_offsets, out):
    """`write_rows` for rows spelled out: words[i] holds the ids of row i (one block of an
    order, as the streamed writer reads it). Rows start.. are written; (bytes used, next row,
    status) as `write_rows`."""
    at = 0
    order = words.shape[1]
    text = np.empty(17, dtype=np.uint8)
    for row in range(start, words.shape[0]):
        end = write_line(words[row], order, log10prob[row], log10backoff[row], with_backoff,
                         vocab_text, vocab_offsets, out, at, text)
        if end == -1:
            return at, row, FULL
        if end == -2:
            return at, row, UNWRITABLE
        at = end
    return at, words.shape[0], OK
