"""Plain-NumPy reference of the training kernels: the specification tests compare kernels.py with.

Same algorithm and same random stream as kernels.train_chunk, written for reading, not speed.
"""

import numpy as np

from seqlab.nlp.word2vec.kernels import LCG_INCREMENT, LCG_MASK, LCG_MULTIPLIER, NO_SUBSAMPLING


def _next(next_random: int) -> int:
    return (next_random * LCG_MULTIPLIER + LCG_INCREMENT) & LCG_MASK


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0))))


def _log_sigmoid(x: float) -> float:
    return float(-np.logaddexp(0.0, -x))


def draw_negatives(cum_table: np.ndarray, count: int, next_random: int) -> tuple[list[int], int]:
    """Negative word indices by bisect_left on the cumulative table, and the next random state."""
    drawn = []
    for _ in range(count):
        value = (next_random >> 16) % int(cum_table[-1])
        drawn.append(int(np.searchsorted(cum_table, value, side="left")))
        next_random = _next(next_random)
    return drawn, next_random


def negative_sampling_update(input_vector, syn1neg, target, negatives, alpha, work):
    """Reference of kernels.negative_sampling_update (always returns the loss)."""
    loss = 0.0
    for d, row in enumerate([target, *negatives]):
        if d > 0 and row == target:
            continue
        label = 1.0 if d == 0 else 0.0
        dot = float(input_vector @ syn1neg[row])
        g = (label - _sigmoid(dot)) * alpha
        loss -= _log_sigmoid(dot if d == 0 else -dot)
        work += g * syn1neg[row]
        syn1neg[row] += g * input_vector
    return loss


def hierarchical_softmax_update(input_vector, syn1, points, codes, alpha, work):
    """Reference of kernels.hierarchical_softmax_update."""
    loss = 0.0
    for point, code in zip(points, codes):
        dot = float(input_vector @ syn1[point])
        g = (1.0 - code - _sigmoid(dot)) * alpha
        loss -= _log_sigmoid(dot if code == 0 else -dot)
        work += g * syn1[point]
        syn1[point] += g * input_vector
    return loss


def train_chunk(
    syn0,
    syn1neg,
    syn1,
    words,
    sentence_ends,
    sample_ints,
    cum_table,
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
    shrink_windows=True,
):
    """Reference of kernels.train_chunk: returns (next_random, effective_words, loss)."""
    sentences, start = [], 0
    for end in sentence_ends:
        kept = []
        for word in words[start:end]:
            if sample_ints[word] < NO_SUBSAMPLING:
                draw = next_random >> 16
                next_random = _next(next_random)
                if sample_ints[word] < draw:
                    continue
            kept.append(int(word))
        sentences.append(kept)
        start = end
    total = sum(len(sentence) for sentence in sentences)
    position, loss = 0, 0.0
    for sentence in sentences:
        for i, word in enumerate(sentence):
            alpha = alpha_start + (alpha_end - alpha_start) * (position / total)
            position += 1
            reduced = 0
            if shrink_windows:
                reduced = (next_random >> 16) % window
                next_random = _next(next_random)
            lo, hi = max(0, i - window + reduced), min(len(sentence), i + window + 1 - reduced)
            context = [sentence[j] for j in range(lo, hi) if j != i]
            path = (points[word, : codelens[word]], codes[word, : codelens[word]])
            if sg:
                for context_word in context:
                    work = np.zeros_like(syn0[0])
                    if hs:
                        loss += hierarchical_softmax_update(
                            syn0[context_word], syn1, *path, alpha, work
                        )
                    if negative:
                        drawn, next_random = draw_negatives(cum_table, negative, next_random)
                        loss += negative_sampling_update(
                            syn0[context_word], syn1neg, word, drawn, alpha, work
                        )
                    syn0[context_word] += work
            elif context:
                hidden = syn0[context].sum(axis=0)
                if cbow_mean:
                    hidden /= len(context)
                work = np.zeros_like(hidden)
                if hs:
                    loss += hierarchical_softmax_update(hidden, syn1, *path, alpha, work)
                if negative:
                    drawn, next_random = draw_negatives(cum_table, negative, next_random)
                    loss += negative_sampling_update(hidden, syn1neg, word, drawn, alpha, work)
                if not cbow_mean:
                    work /= len(context)
                for context_word in context:  # a word twice in the window gets the step twice
                    syn0[context_word] += work
    return next_random, total, loss
