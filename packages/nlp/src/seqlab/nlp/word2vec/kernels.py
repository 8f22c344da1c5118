"""Numba kernels for word2vec: skip-gram / CBOW, negative sampling or hierarchical softmax.

Plain ``@njit`` functions on ndarrays; of the project it imports only the cache guard.
Random numbers come from the 48-bit linear congruential generator that word2vec.c and gensim use
(``next_random = next_random * 25214903917 + 11``), kept as a signed 64-bit integer: the product
wraps in Numba and is exact in Python, and masking to 48 bits makes both agree.
"""

import math

import numpy as np
from numba import njit

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401

LCG_MULTIPLIER = 25214903917
LCG_INCREMENT = 11
LCG_MASK = 281474976710655  # 2**48 - 1
NO_SUBSAMPLING = 4294967295  # sample_int of a word that is always kept (2**32 - 1)


@njit(cache=True, nogil=True)
def lcg_next(next_random: int) -> int:
    """Advance the word2vec linear congruential generator by one step."""
    return (next_random * LCG_MULTIPLIER + LCG_INCREMENT) & LCG_MASK


@njit(cache=True, nogil=True, fastmath=True)
def sigmoid(x):
    """Logistic function, clamped so exp never overflows."""
    if x > 30.0:
        return 1.0
    if x < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, nogil=True)
def log_sigmoid(x: float) -> float:
    """log(sigmoid(x)) in float64, stable for large |x|."""
    if x >= 0.0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


@njit(cache=True, nogil=True, fastmath=True)
def negative_sampling_update(
    input_vector, syn1neg, target, negatives, num_negatives, alpha, work, compute_loss
):
    """Input vector vs its target and negatives: update syn1neg, add the input's step to work.

    Loss: -log sigmoid(v_target . h) - sum_k log sigmoid(-v_k . h). Each output row moves by
    ``-alpha * dloss/dv`` at once; the input's step ``-alpha * dloss/dh`` is accumulated in ``work``
    (computed from the unchanged input) so the caller applies it to the input word(s).
    Negatives equal to the target are skipped, as in gensim. Returns the loss (float64; 0.0 unless
    compute_loss).
    """
    size = input_vector.shape[0]
    loss = 0.0
    for d in range(num_negatives + 1):
        if d == 0:
            row = target
            label = 1.0
        else:
            row = negatives[d - 1]
            if row == target:
                continue
            label = 0.0
        output_vector = syn1neg[row]
        dot = input_vector.dtype.type(0.0)
        for a in range(size):
            dot += input_vector[a] * output_vector[a]
        g = input_vector.dtype.type((label - sigmoid(dot)) * alpha)
        if compute_loss:
            loss -= log_sigmoid(dot if d == 0 else -dot)
        for a in range(size):  # one pass: both rows updated from values read before the pass
            work[a] += g * output_vector[a]
            output_vector[a] += g * input_vector[a]
    return loss


@njit(cache=True, nogil=True, fastmath=True)
def hierarchical_softmax_update(
    input_vector, syn1, points, codes, codelen, alpha, work, compute_loss
):
    """Hierarchical softmax on a word's Huffman path: update syn1, add the input's step to work."""
    size = input_vector.shape[0]
    loss = 0.0
    for b in range(codelen):
        node_vector = syn1[points[b]]
        dot = input_vector.dtype.type(0.0)
        for a in range(size):
            dot += input_vector[a] * node_vector[a]
        g = input_vector.dtype.type((1.0 - codes[b] - sigmoid(dot)) * alpha)
        if compute_loss:
            loss -= log_sigmoid(dot if codes[b] == 0 else -dot)
        for a in range(size):  # one pass: both rows updated from values read before the pass
            work[a] += g * node_vector[a]
            node_vector[a] += g * input_vector[a]
    return loss


@njit(cache=True, nogil=True)
def make_cum_guide(cum_table):
    """Bucket guide for cum_table: guide[k] = bisect_left(cum_table, k * total // buckets).

    A draw starts its search at its bucket's guide and steps right, which finds exactly the index
    bisect_left finds, in O(1) expected steps instead of log2(vocabulary) unpredictable branches.
    """
    buckets = cum_table.shape[0]
    guide = np.zeros(max(buckets, 1), dtype=np.int64)
    if buckets == 0:
        return guide
    total = cum_table[buckets - 1]
    index = 0
    for k in range(buckets):
        bucket_start = -(-(k * total) // buckets)  # smallest value that maps to bucket k
        while cum_table[index] < bucket_start:
            index += 1
        guide[k] = index
    return guide


@njit(cache=True, nogil=True)
def draw_negatives(cum_table, cum_guide, num_negatives, next_random, negatives):
    """Draw word indices from the unigram^ns_exponent cumulative table (bisect_left, as gensim)."""
    buckets = cum_table.shape[0]
    total = cum_table[buckets - 1]
    for d in range(num_negatives):
        value = (next_random >> 16) % total
        index = cum_guide[value * buckets // total]
        while cum_table[index] < value:
            index += 1
        negatives[d] = index
        next_random = lcg_next(next_random)
    return next_random


@njit(cache=True, nogil=True)
def subsample(words, sentence_ends, sample_ints, next_random, kept_words, kept_ends):
    """Drop frequent words with gensim's keep probability; returns (next_random, kept count)."""
    num_kept = 0
    start = 0
    for s in range(sentence_ends.shape[0]):
        for p in range(start, sentence_ends[s]):
            word = words[p]
            threshold = sample_ints[word]
            if threshold < NO_SUBSAMPLING:
                draw = next_random >> 16
                next_random = lcg_next(next_random)
                if threshold < draw:
                    continue
            kept_words[num_kept] = word
            num_kept += 1
        kept_ends[s] = num_kept
        start = sentence_ends[s]
    return next_random, num_kept


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk(
    syn0,
    syn1neg,
    syn1,
    words,
    sentence_ends,
    sample_ints,
    cum_table,
    cum_guide,
    codes,
    points,
    codelens,
    sg,
    negative,
    hs,
    window,
    cbow_mean,
    alpha_start,
    alpha_end,
    next_random,
    work,
    neu1,
    compute_loss,
    shrink_windows=True,
):
    """Train on one chunk of sentences (word indices, sentence end offsets) in place.

    The learning rate falls linearly from alpha_start to alpha_end over the chunk's kept words.
    Each word's window is `window` less a random reduction in [0, window) (word2vec.c, gensim's
    shrink_windows=True), or the whole `window` when not shrink_windows (no random drawn).
    Returns (next_random, effective_words, loss); loss is the float64 sum of the pair losses.
    """
    kept_words = np.empty(words.shape[0], dtype=np.int64)
    kept_ends = np.empty(sentence_ends.shape[0], dtype=np.int64)
    next_random, num_kept = subsample(
        words, sentence_ends, sample_ints, next_random, kept_words, kept_ends
    )
    negatives = np.empty(max(negative, 1), dtype=np.int64)
    size = syn0.shape[1]
    loss = 0.0
    position = 0
    start = 0
    for s in range(kept_ends.shape[0]):
        end = kept_ends[s]
        for i in range(start, end):
            alpha = alpha_start + (alpha_end - alpha_start) * (position / num_kept)
            position += 1
            # reduced window: like word2vec.c, b is uniform in [0, window)
            reduced = 0
            if shrink_windows:
                reduced = (next_random >> 16) % window
                next_random = lcg_next(next_random)
            lo = max(start, i - window + reduced)
            hi = min(end, i + window + 1 - reduced)
            word = kept_words[i]
            if sg:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    context = kept_words[j]
                    input_vector = syn0[context]
                    work[:] = 0.0
                    if hs:
                        loss += hierarchical_softmax_update(
                            input_vector,
                            syn1,
                            points[word],
                            codes[word],
                            codelens[word],
                            alpha,
                            work,
                            compute_loss,
                        )
                    if negative:
                        next_random = draw_negatives(
                            cum_table, cum_guide, negative, next_random, negatives
                        )
                        loss += negative_sampling_update(
                            input_vector,
                            syn1neg,
                            word,
                            negatives,
                            negative,
                            alpha,
                            work,
                            compute_loss,
                        )
                    for a in range(size):
                        input_vector[a] += work[a]
            else:
                neu1[:] = 0.0
                count = 0
                for j in range(lo, hi):
                    if j != i:
                        count += 1
                        context_vector = syn0[kept_words[j]]
                        for a in range(size):
                            neu1[a] += context_vector[a]
                if count == 0:
                    continue
                inv_count = 1.0 / count
                if cbow_mean:
                    for a in range(size):
                        neu1[a] *= inv_count
                work[:] = 0.0
                if hs:
                    loss += hierarchical_softmax_update(
                        neu1,
                        syn1,
                        points[word],
                        codes[word],
                        codelens[word],
                        alpha,
                        work,
                        compute_loss,
                    )
                if negative:
                    next_random = draw_negatives(
                        cum_table, cum_guide, negative, next_random, negatives
                    )
                    loss += negative_sampling_update(
                        neu1, syn1neg, word, negatives, negative, alpha, work, compute_loss
                    )
                if not cbow_mean:  # gensim: divide the error over the summed window vectors
                    for a in range(size):
                        work[a] *= inv_count
                for j in range(lo, hi):
                    if j != i:
                        context_vector = syn0[kept_words[j]]
                        for a in range(size):
                            context_vector[a] += work[a]
        start = end
    return next_random, num_kept, loss
