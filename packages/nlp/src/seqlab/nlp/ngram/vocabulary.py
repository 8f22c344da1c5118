"""Token <-> id mapping for n-gram models: <unk>, <s>, </s> first (as KenLM numbers them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, islice

import numpy as np

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
SPECIAL_TOKENS: tuple[str, ...] = (UNK, BOS, EOS)


def encode_corpus(
    sentences: Iterable[Sequence[str]], unk_cutoff: int = 1
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Map a corpus to ids; words seen fewer than `unk_cutoff` times become <unk>.

    Returns (vocab, padded ids, position of each id in its padded sentence), where every sentence
    is laid out as `<s> w1 ... wm </s>`.
    """
    if unk_cutoff < 1:
        raise ValueError(f"unk_cutoff must be >= 1, got {unk_cutoff}")
    sentences = list(sentences)
    lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    flat = list(chain.from_iterable(sentences))  # a str sentence yields its characters
    # dict.fromkeys runs in C and keeps first-appearance order: ids without a Python loop.
    index: dict[str, int] = dict.fromkeys(SPECIAL_TOKENS, 0)
    index.update(dict.fromkeys(flat, 0))
    for i, token in enumerate(index):
        index[token] = i
    raw_vocab = list(index)
    word_ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
    counts = np.bincount(word_ids, minlength=len(raw_vocab))
    if counts[BOS_ID] or counts[EOS_ID]:
        token = BOS if counts[BOS_ID] else EOS
        raise ValueError(
            f"the training sentences contain the reserved token {token!r}; sentence boundaries "
            "are added by the model, so remove it from the input"
        )
    keep = counts >= unk_cutoff
    keep[: len(SPECIAL_TOKENS)] = True
    require_a_kept_word(raw_vocab, counts, keep, unk_cutoff)
    new_id = np.where(keep, np.cumsum(keep) - 1, UNK_ID).astype(np.int64)
    vocab = [token for token, kept in zip(raw_vocab, keep.tolist()) if kept]
    return (vocab, *pad_sentences(new_id[word_ids], lengths))


def require_a_kept_word(tokens: Iterable[str], counts: np.ndarray, keep: np.ndarray,
                        unk_cutoff: int) -> None:
    """ValueError when the corpus has words but `unk_cutoff` keeps none of them (`keep`, by raw
    id; `tokens` in raw id order, read only to name the most frequent): every word would be
    <unk>, a model of nothing, as word2vec refuses a min_count above every count."""
    words = len(SPECIAL_TOKENS)
    if len(counts) > words and not keep[words:].any():
        top = words + int(np.argmax(counts[words:]))
        word = next(islice(tokens, top, None))
        raise ValueError(f"no word occurs unk_cutoff={unk_cutoff} times in the corpus (the "
                         f"most frequent, {word!r}, occurs {int(counts[top]):,}): every "
                         "word would be <unk>; lower unk_cutoff")


def pad_sentences(
    word_ids: np.ndarray, lengths: np.ndarray, bos_id: int = BOS_ID, eos_id: int = EOS_ID
) -> tuple[np.ndarray, np.ndarray]:
    """Lay out concatenated sentences as `<s> w1 ... wm </s>`; also return each id's position."""
    padded_lengths = lengths + 2
    total = int(padded_lengths.sum())
    starts = np.concatenate(([0], np.cumsum(padded_lengths)[:-1])).astype(np.int64)
    sentence_of = np.repeat(np.arange(len(lengths)), padded_lengths)
    position = np.arange(total, dtype=np.int64) - starts[sentence_of]
    padded = np.empty(total, dtype=np.int64)
    is_word = (position > 0) & (position <= lengths[sentence_of])
    padded[is_word] = word_ids
    padded[position == 0] = bos_id
    padded[position == padded_lengths[sentence_of] - 1] = eos_id
    return padded, position
