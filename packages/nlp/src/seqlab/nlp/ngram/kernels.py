"""Numba kernels for backoff n-gram lookup. Plain ndarrays in and out.

A model of order N is N tables laid out end to end: rows offsets[n-1]:offsets[n] hold the
n-grams of order n, keyed by `parent_row * vocab_size + word` and sorted (unigram rows are the
word ids). `logprob[row]` is log p(word | context) for a listed n-gram, `logbackoff[row]` the
log backoff weight of that n-gram used as a context (0 when it is not one).

A query follows the ARPA rule: p(w | h) = p*(h w) if h w is listed, else b(h) p(w | h minus its
first word), where b(h) = 1 when h is not listed. The state after a word is the row of every
suffix of the history (-1 when that suffix is not listed), as in KenLM.
With `use_constant_backoff` every backoff step costs `constant_backoff` instead (Stupid Backoff).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401


@njit(cache=True)
def lower_bound(keys, lo, hi, key):
    """The first row of the sorted slice keys[lo:hi] whose key is >= `key` (hi if none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def find_row(keys, lo, hi, key):
    """Row of `key` in the sorted slice keys[lo:hi], or -1."""
    row = lower_bound(keys, lo, hi, key)
    if row < hi and keys[row] == key:
        return row
    return -1


@njit(cache=True)
def step(state, state_length, word, vocab_size, keys, logprob, logbackoff, offsets,
         constant_backoff, use_constant_backoff, new_state):
    """Log probability of `word` after the history in `state`; writes the next state."""
    order = len(offsets) - 1
    result = logprob[word]
    new_state[0] = word
    pending_backoff = 0.0
    for length in range(1, state_length + 1):
        context = state[length - 1]
        row = -1
        if context >= 0:
            lo = offsets[length]
            row = find_row(keys, lo, offsets[length + 1], context * vocab_size + word)
        if row >= 0:
            result = logprob[row]
            pending_backoff = 0.0
        elif use_constant_backoff:
            pending_backoff += constant_backoff
        elif context >= 0:
            pending_backoff += logbackoff[offsets[length - 1] + context]
        if length < order - 1:
            new_state[length] = row - offsets[length] if row >= 0 else -1
    for length in range(state_length + 1, order - 1):
        new_state[length] = -1
    return result + pending_backoff


@njit(cache=True)
def score_padded(padded, is_start, vocab_size, keys, logprob, logbackoff, offsets,
                 constant_backoff, use_constant_backoff, bos_id):
    """Log probability of every id of `padded` given its sentence so far: 0 where `is_start`
    (a sentence's <s>, the context of what follows); any other id, a literal <s> too, is a
    word scored from the history (as KenLM scores an inner <s>: never predicted)."""
    order = len(offsets) - 1
    width = max(order - 1, 1)
    state = np.full(width, -1, dtype=np.int64)
    new_state = np.full(width, -1, dtype=np.int64)
    state_length = 0
    out = np.zeros(len(padded), dtype=np.float64)
    for i in range(len(padded)):
        word = padded[i]
        if is_start[i]:
            state[0] = bos_id
            state_length = 1 if order > 1 else 0
            continue
        out[i] = step(state, state_length, word, vocab_size, keys, logprob, logbackoff,
                      offsets, constant_backoff, use_constant_backoff, new_state)
        state_length = min(state_length + 1, order - 1)
        state[:] = new_state
    return out


@njit(cache=True)
def context_state(context, vocab_size, keys, offsets):
    """Row of every suffix of `context` (index j: the suffix of length j + 1; -1 if unlisted)."""
    order = len(offsets) - 1
    width = max(order - 1, 1)
    state = np.full(width, -1, dtype=np.int64)
    new_state = np.full(width, -1, dtype=np.int64)
    state_length = 0
    for word in context[max(len(context) - (order - 1), 0):]:
        new_state[0] = word
        for length in range(1, min(state_length + 1, order - 1)):
            context_row = state[length - 1]
            row = -1
            if context_row >= 0:
                lo = offsets[length]
                row = find_row(keys, lo, offsets[length + 1], context_row * vocab_size + word)
            new_state[length] = row - offsets[length] if row >= 0 else -1
        state_length = min(state_length + 1, order - 1)
        state[:] = new_state
    return state, state_length
