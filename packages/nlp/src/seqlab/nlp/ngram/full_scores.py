"""KenLM's per-word scores: each word's log probability, the length of the n-gram that gave
it and whether the word is out of the vocabulary, with or without <s> and </s>."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from seqlab.nlp.ngram import kernels
from seqlab.nlp.ngram.vocabulary import BOS, BOS_ID, EOS, EOS_ID, UNK, UNK_ID

if TYPE_CHECKING:
    from seqlab.nlp.ngram.base import NgramLanguageModel


class WordScores(NamedTuple):
    """One sentence's words (then </s> when asked for): natural-log probabilities, the
    length of the longest listed n-gram each was found in, and whether each is <unk>."""

    logprobs: np.ndarray  # float64
    ngram_lengths: np.ndarray  # int64
    oov: np.ndarray  # bool


def word_scores(model: NgramLanguageModel, tokens: Sequence[str], bos: bool = True,
                eos: bool = True) -> WordScores:
    """Score `tokens` word by word as KenLM's `Model.full_scores` does: from the sentence
    start (<s>) when `bos`, else from an empty context; </s> scored last when `eos`. A word
    is out of the vocabulary when it maps to <unk> (KenLM: index 0). A literal <s> among
    `tokens` is a word like any other (log zero: it is never predicted), as KenLM scores it;
    `score` and `perplexity` follow the same rule."""
    keys, logprob, logbackoff, offsets = model._require_fitted()
    vocab_size = model.vocab_size
    index = model._index
    unk = index.get(UNK, UNK_ID)
    ids = [index.get(token, unk) for token in tokens]
    if eos:
        ids.append(index.get(EOS, EOS_ID))
    history = [index.get(BOS, BOS_ID)] if bos else []
    width = model.order - 1
    use_constant = model.constant_backoff is not None
    count = len(ids)
    result = WordScores(np.empty(count), np.empty(count, np.int64), np.zeros(count, np.bool_))
    for position, word in enumerate(ids):
        # the last order - 1 words; all of them while the history is shorter than that
        context = np.asarray(history[max(len(history) - width, 0):] if width else [],
                             dtype=np.int64)
        state, state_length = kernels.context_state(context, vocab_size, keys, offsets)
        new_state = np.empty_like(state)
        result.logprobs[position] = kernels.step(
            state, state_length, word, vocab_size, keys, logprob, logbackoff, offsets,
            model.constant_backoff or 0.0, use_constant, new_state)
        result.ngram_lengths[position] = _matched_length(state, state_length, word, vocab_size,
                                                         keys, offsets)
        result.oov[position] = word == unk and not (eos and position == count - 1)
        history.append(word)
    return result


def _matched_length(state: np.ndarray, state_length: int, word: int, vocab_size: int,
                    keys: np.ndarray, offsets: np.ndarray) -> int:
    """Length of the longest listed n-gram ending in `word` after `state`'s context (the
    unigram at least, as the ARPA rule backs off to it)."""
    length = 1
    for context_length in range(1, state_length + 1):
        row = int(state[context_length - 1])
        if row >= 0 and kernels.find_row(keys, offsets[context_length],
                                         offsets[context_length + 1],
                                         row * vocab_size + word) >= 0:
            length = context_length + 1
    return length
