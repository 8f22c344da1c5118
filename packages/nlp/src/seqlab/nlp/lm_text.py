"""Text as the token stream a neural language model trains on, and back.

Char and BPE tokenizers see newlines as ordinary characters. The word tokenizer drops them, so
each non-blank line of a training text ends with </s>, which generation turns back into a
newline. `encode_corpus` (a whole text) and `stream_corpus_ids` (streamed pieces, memory-mapped)
give the same ids; `encode_prompt_ids` and `decoder` are the matching prompt encoder and
decoder for generation, `decode_model_pieces` the decoder of a stream too long to hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def is_word_level(tokenizer) -> bool:
    """Whether `tokenizer` splits words (its text's lines then end with </s>)."""
    from seqlab.nlp.tokenizers import WordTokenizer

    return isinstance(tokenizer, WordTokenizer)


def encode_corpus(tokenizer, text: str) -> np.ndarray:
    """All of `text` as one int64 id stream: at word level each non-blank line's ids followed
    by </s> (blank lines give nothing), else the tokenizer's ids of the whole text."""
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


def stream_model_ids(source, tokenizer, **options) -> Iterator[np.ndarray]:
    """A file or stdin ('-') as the id stream a language model with `tokenizer` reads, block
    by block: the ids `encode_corpus` gives of the whole text (the ones training caches and
    `eval` scores). Options are `corpora.stream_token_ids`'s (errors, encoding)."""
    from seqlab.nlp.corpora import stream_token_ids

    return stream_token_ids(source, tokenizer, line_eos=is_word_level(tokenizer), **options)


@dataclass
class StreamedIds:
    """A corpus's ids (memory-mapped) with what was counted while streaming it."""

    ids: np.ndarray
    characters: int
    unknown: int


def stream_corpus_ids(pieces: Iterable[str], tokenizer, path: Path) -> StreamedIds:
    """The ids of streamed tokenizer-safe pieces (`corpora.safe_pieces`), written to `path`
    and memory-mapped: the same ids as `encode_corpus` of the whole text, with its character
    and <unk> counts. Memory is one piece's ids, not the corpus's."""
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
    """The prompt encoder matching `encode_corpus` (word level: each newline becomes </s>,
    with none after the last line, so that generation continues it)."""
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
    """ids -> text, with </s> as a newline at word level (`decode_model_pieces` of one
    piece: the line rule lives there)."""
    if not is_word_level(tokenizer):
        return tokenizer.decode

    def decode(ids: Sequence[int]) -> str:
        return "".join(decode_model_pieces(tokenizer, [ids]))

    return decode


def decode_model_pieces(tokenizer, pieces: Iterable[Sequence[int]]) -> Iterator[str]:
    """`decoder`'s text of ids arriving in pieces (streamed: joined, the pieces are `decoder`
    of all the ids): at word level each </s> is a line end."""
    from seqlab.nlp.tokenizers.streamed_decode import decode_pieces

    return decode_pieces(tokenizer, pieces, line_eos=is_word_level(tokenizer))


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
