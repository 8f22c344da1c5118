"""Turning text into the token stream a neural language model trains on, and back.

Char and BPE tokenizers see newlines as ordinary characters. The word tokenizer drops them, so
each line ends with </s>, which generation turns back into a newline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def is_word_level(tokenizer) -> bool:
    from seqlab.nlp.tokenizers import WordTokenizer

    return isinstance(tokenizer, WordTokenizer)


# A word vocabulary hints at --level char or bpe when, over at least this many running
# words, at least this share of them occur once (English prose: under 10%; random Chinese
# phrases without spaces: 50%).
RARE_HINT_MIN_WORDS = 1000
RARE_HINT_SHARE = 0.4


def rare_words_hint(tokenizer) -> str | None:
    """A one-line hint when most running words of a word tokenizer's training text occur once
    (text without spaces between words makes whole phrases words), else None."""
    counts = getattr(getattr(tokenizer, "vocab", None), "counts", None)
    if not is_word_level(tokenizer) or not counts:
        return None
    total = sum(counts.values())
    once = sum(1 for count in counts.values() if count == 1)
    if total < RARE_HINT_MIN_WORDS or once < RARE_HINT_SHARE * total:
        return None
    return (f"{once / total:.0%} of the corpus's {total:,} words occur once: text without "
            "spaces between words (Chinese, Japanese, Thai) makes whole phrases words; "
            "--level char or bpe splits it")


def encode_corpus(tokenizer, text: str) -> np.ndarray:
    """All of `text` as one int64 id stream."""
    import numpy as np

    if not is_word_level(tokenizer):
        return np.asarray(tokenizer.encode(text), dtype=np.int64)
    ids: list[int] = []
    eos = tokenizer.eos_id
    for line in text.split("\n"):
        if line.strip():
            ids.extend(tokenizer.encode(line))
            ids.append(eos)
    return np.asarray(ids, dtype=np.int64)


@dataclass
class StreamedIds:
    """A corpus's ids (memory-mapped) with what was counted while streaming it."""

    ids: np.ndarray
    characters: int
    unknown: int


def stream_corpus_ids(pieces: Iterable[str], tokenizer, path: Path) -> StreamedIds:
    """The ids of streamed tokenizer-safe pieces, written to `path` and memory-mapped: the same
    ids as `encode_corpus` of the whole text, with its character and <unk> counts."""
    import numpy as np

    from seqlab.nlp.corpora import (
        encode_pieces,
        mapped_token_ids,
        narrowest_unsigned,
        write_token_ids,
    )

    counts = {"characters": 0, "unknown": 0}

    def counted_pieces() -> Iterator[str]:
        for piece in pieces:
            counts["characters"] += len(piece)
            yield piece

    def counted_blocks() -> Iterator[np.ndarray]:
        for block in encode_pieces(counted_pieces(), tokenizer, is_word_level(tokenizer)):
            counts["unknown"] += int(np.count_nonzero(block == tokenizer.unk_id))
            yield block

    dtype = narrowest_unsigned(tokenizer.vocab_size)
    length = write_token_ids(counted_blocks(), dtype, path)
    return StreamedIds(mapped_token_ids(path, dtype, length), counts["characters"],
                       counts["unknown"])


def encode_prompt_ids(tokenizer) -> Callable[[str], list[int]]:
    """The prompt encoder matching `encode_corpus` (word level: lines end with </s>)."""
    if not is_word_level(tokenizer):
        return tokenizer.encode

    def encode(text: str) -> list[int]:
        ids: list[int] = []
        lines = text.split("\n")
        for number, line in enumerate(lines):
            ids.extend(tokenizer.encode(line))
            if number + 1 < len(lines):
                ids.append(tokenizer.eos_id)
        return ids

    return encode


def decoder(tokenizer) -> Callable[[Sequence[int]], str]:
    """ids -> text, with </s> as a newline at word level."""
    if not is_word_level(tokenizer):
        return tokenizer.decode
    eos = tokenizer.eos_id

    def decode(ids: Sequence[int]) -> str:
        lines: list[list[int]] = [[]]
        for token in ids:
            if int(token) == eos:
                lines.append([])
            else:
                lines[-1].append(int(token))
        return "\n".join(tokenizer.decode(line) for line in lines)

    return decode


LINE_STARTS = ("\n", ". ", " ")


def start_ids(tokenizer) -> list[int]:
    """Where an empty prompt starts: a line start (</s>) for words; for char/BPE the ids of a
    newline (else a sentence end, else a space) the model knows, so that it does not begin in
    the middle of a word. Empty when the model knows none of them."""
    if is_word_level(tokenizer):
        return [tokenizer.eos_id]
    for text in LINE_STARTS:
        ids = tokenizer.encode(text)
        if ids and tokenizer.unk_id not in ids:
            return list(ids)
    return []


def banned_ids(tokenizer) -> frozenset[int]:
    """Special tokens a model must never write: all but </s>, which ends a line at word level."""
    banned = set(tokenizer.special_ids)
    if is_word_level(tokenizer):
        banned.discard(tokenizer.eos_id)
    return frozenset(banned)


BITS_NAMES = {"char": "bits per character", "word": "bits per word", "bpe": "bits per token"}


def bits_name(level: str | None) -> str:
    """One name per tokenizer level for the same number (bits per predicted token)."""
    return BITS_NAMES.get(level or "", "bits per token")
