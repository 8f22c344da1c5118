"""What the commands say about a language model's text: the rare-words hint and the name of
bits per token. The text <-> ids conventions live in `seqlab.nlp.lm_text` (re-exported here for
the commands that use them)."""

from __future__ import annotations

from seqlab.nlp.lm_text import (
    StreamedIds,
    banned_ids,
    decoder,
    encode_corpus,
    encode_prompt_ids,
    is_word_level,
    start_ids,
    stream_corpus_ids,
)

__all__ = ["StreamedIds", "banned_ids", "bits_name", "decoder", "encode_corpus",
           "encode_prompt_ids", "is_word_level", "rare_words_hint", "start_ids",
           "stream_corpus_ids"]


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


BITS_NAMES = {"char": "bits per character", "word": "bits per word", "bpe": "bits per token"}


def bits_name(level: str | None) -> str:
    """One name per tokenizer level for the same number (bits per predicted token)."""
    return BITS_NAMES.get(level or "", "bits per token")
