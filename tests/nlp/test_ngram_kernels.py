"""The lookup kernels against the plain-Python ARPA rule (also run with NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from seqlab.nlp.ngram import KneserNey, StupidBackoff, WittenBell, kernels
from seqlab.nlp.ngram.reference import ngram_dict, score_padded_reference
from seqlab.nlp.ngram.vocabulary import BOS_ID, pad_sentences


def _corpus(seed: int, n_sentences: int = 12) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice("abcd") for _ in range(rng.randint(0, 6))] for _ in range(n_sentences)]


def _padded(model, sentences) -> tuple[np.ndarray, np.ndarray]:
    """The padded ids and which of them is a sentence's own <s>."""
    ids = [model.token_id(t) for s in sentences for t in s]
    lengths = np.array([len(s) for s in sentences], dtype=np.int64)
    padded, position = pad_sentences(np.array(ids, dtype=np.int64), lengths)
    return padded, position == 0


@pytest.mark.kernels
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("make", [lambda: KneserNey(3), lambda: WittenBell(4),
                                  lambda: StupidBackoff(3, alpha=0.4), lambda: KneserNey(1)])
def test_score_padded_matches_reference(seed, make):
    model = make().fit(_corpus(seed))
    test = [*_corpus(seed + 100, 6), ["e", "a", "b"], ["a", "<s>", "b"], ["</s>", "<s>", "c"]]
    padded, is_start = _padded(model, test)
    keys, logprob, logbackoff, offsets = model._flat
    constant = model.constant_backoff
    got = kernels.score_padded(padded, is_start, model.vocab_size, keys, logprob, logbackoff,
                               offsets, constant or 0.0, constant is not None, BOS_ID)
    table = ngram_dict(model.vocab_size, model._keys, model._logprob, model._logbackoff)
    expected = score_padded_reference(padded, is_start, model.order, table, BOS_ID, constant)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.kernels
def test_context_state_and_step_match_reference():
    model = KneserNey(3).fit(_corpus(2))
    keys, logprob, logbackoff, offsets = model._flat
    table = ngram_dict(model.vocab_size, model._keys, model._logprob, model._logbackoff)
    from seqlab.nlp.ngram.reference import backoff_logprob

    for context in ([], [BOS_ID], [BOS_ID, 3], [4, 5], [0, 0], [5]):
        state, length = kernels.context_state(np.array(context, dtype=np.int64),
                                              model.vocab_size, keys, offsets)
        for word in range(model.vocab_size):
            got = kernels.step(state, length, word, model.vocab_size, keys, logprob, logbackoff,
                               offsets, 0.0, False, np.empty_like(state))
            expected = backoff_logprob(table, tuple(context[-2:]), word)
            assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.kernels
def test_find_row_stays_inside_its_slice():
    keys = np.array([1, 3, 5, 3, 7], dtype=np.int64)
    assert kernels.find_row(keys, 0, 3, 3) == 1
    assert kernels.find_row(keys, 0, 3, 7) == -1
    assert kernels.find_row(keys, 0, 2, 5) == -1  # keys[2] == 5 lies outside the slice
    assert kernels.find_row(keys, 3, 5, 7) == 4
