"""Build the tokenizer a `--level` names, trained on the corpus text."""

from __future__ import annotations

from collections.abc import Iterable

from seqlab.cli.errors import CliError

LEVELS = ("char", "word", "bpe")


def train_tokenizer(level: str, text: str | Iterable[str], vocab_size: int | None = None,
                    min_count: int = 1, lowercase: bool = False):
    """A CharTokenizer, WordTokenizer or BPETokenizer fitted to `text` (a str, or streamed
    pieces: the tokenizers count characters, words or pre-tokens, never hold the text)."""
    from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

    if level == "char":
        return CharTokenizer.train(text)
    if level == "word":
        return WordTokenizer.train(text, min_count=min_count, max_size=vocab_size,
                                   lowercase=lowercase)
    if level == "bpe":
        return BPETokenizer.train(text, vocab_size=vocab_size or 1000)
    raise CliError(f"--level must be one of {', '.join(LEVELS)}, got {level!r}", code=2)
