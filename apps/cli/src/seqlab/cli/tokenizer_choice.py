"""Build the tokenizer a `--level` names, trained on the corpus text.

`--vocab-size` caps every level: word and BPE as their own vocabularies, char by keeping the
most frequent characters (rarer ones read as <unk>, as Keras' `TextVectorization(split=
"character", max_tokens=N)` does). `--lowercase` applies to char and word levels; byte-level
BPE keeps the text's bytes exactly, so it is refused there rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from seqlab.cli.errors import CliError

LEVELS = ("char", "word", "bpe")
# Ids 0..3 are <pad> <unk> <s> </s>; byte-level BPE also needs its 256 byte ids.
SMALLEST_VOCABULARY = {"char": 5, "word": 5, "bpe": 4 + 256}
LOWERCASE_LEVELS = ("char", "word")


def check_vocab_size(level: str, vocab_size: int | None) -> None:
    """A CliError when --vocab-size cannot hold the level's fixed ids and one more token."""
    if level not in LEVELS:
        raise CliError(f"--level must be one of {', '.join(LEVELS)}, got {level!r}", code=2)
    smallest = SMALLEST_VOCABULARY.get(level)
    if vocab_size is not None and smallest is not None and vocab_size < smallest:
        fixed = "4 special tokens and 256 bytes" if level == "bpe" else "4 special tokens"
        raise CliError(f"--vocab-size {vocab_size} is too small for a {level} tokenizer: it needs "
                       f"at least {smallest} ({fixed}, plus what it learns)", code=2)


def check_lowercase(level: str, lowercase: bool | None) -> None:
    """A CliError when --lowercase is asked of a level that cannot lowercase (bpe)."""
    if lowercase and level not in LOWERCASE_LEVELS:
        raise CliError(f"--lowercase applies to --level {' or '.join(LOWERCASE_LEVELS)}; "
                       f"{level} keeps the text's bytes exactly: drop --lowercase", code=2)


def check_kept_tokenizer(saved: dict, vocab_size: int | None, lowercase: bool | None,
                         where: str) -> None:
    """A CliError when --vocab-size or --lowercase/--keep-case ask for another tokenizer than
    the saved one a fine-tuned model keeps (they would otherwise be ignored silently)."""
    from seqlab.nlp.tokenizers import Tokenizer

    size = Tokenizer.from_dict(saved).vocab_size
    if vocab_size is not None and vocab_size != size:
        raise CliError(f"{where}: the model's vocabulary has {size} tokens, not --vocab-size "
                       f"{vocab_size}; drop --vocab-size (a fine-tuned model keeps its "
                       "tokenizer)", code=2)
    folds = bool(saved.get("lowercase", False))
    if lowercase is not None and lowercase != folds:
        raise CliError(f"{where}: the model's tokenizer {'lowercases' if folds else 'keeps case'}"
                       f"; drop {'--lowercase' if lowercase else '--keep-case'} (a fine-tuned "
                       "model keeps its tokenizer)", code=2)


def train_tokenizer(level: str, text: str | Iterable[str], vocab_size: int | None = None,
                    min_count: int | None = None, lowercase: bool = False):
    """A CharTokenizer, WordTokenizer or BPETokenizer fitted to `text` (a str, or streamed
    pieces: the tokenizers count characters, words or pre-tokens, never hold the text).
    `min_count`: char and word levels keep tokens seen that often (default 1); BPE merges only
    pairs seen that often (default: the BPE trainer's own, 2)."""
    from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

    check_vocab_size(level, vocab_size)
    check_lowercase(level, lowercase)
    if level in ("char", "word"):
        trainer = CharTokenizer if level == "char" else WordTokenizer
        tokenizer = trainer.train(text, min_count=min_count or 1, max_size=vocab_size,
                                  lowercase=lowercase)
        return _with_a_token(tokenizer, level, min_count)
    if level == "bpe":
        pair_count = {} if min_count is None else {"min_frequency": min_count}
        return BPETokenizer.train(text, vocab_size=vocab_size or 1000, **pair_count)
    raise CliError(f"--level must be one of {', '.join(LEVELS)}, got {level!r}", code=2)


def _with_a_token(tokenizer, level: str, min_count: int | None):
    """`tokenizer`, or a CliError when --min-count kept none of the corpus's tokens (only the
    specials: every text would encode as <unk>), as word2vec refuses a min_count above every
    count."""
    from seqlab.nlp.tokenizers.base import SPECIAL_TOKENS

    if tokenizer.vocab_size > len(SPECIAL_TOKENS) or not min_count or min_count <= 1:
        return tokenizer
    what = "character" if level == "char" else "word"
    raise CliError(f"--min-count {min_count} keeps no {what}: none occurs that often in the "
                   f"corpus, so every text would encode as <unk>; lower --min-count")
