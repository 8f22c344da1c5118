"""The built-in pre-token patterns of byte-level BPE: Hugging Face's, and seqlab's before it.

`DEFAULT_PRETOKEN_PATTERN` is GPT-2's split exactly as Hugging Face `tokenizers` spells it in its
`ByteLevel` pre-tokenizer, and runs on the `regex` package, whose `\\p{L}`, `\\p{N}` and `\\s`
are Unicode's letters, numbers and White_Space as in Oniguruma (HF's engine): "_" (\\p{Pc}) is a
symbol, "²" and "Ⅻ" (\\p{No}, \\p{Nl}) are numbers, \\x1c-\\x1f are symbols, not spaces. Text
then splits as HF splits it on every code point both Unicode versions assign (`regex` may
know characters of a newer Unicode than HF's Oniguruma, which reads them as symbols:
tests/fixtures/hf_bytelevel holds HF's classes of every code point). ASCII text runs on the
faster stdlib `re` through `ASCII_PRETOKEN_PATTERN`, which splits every ASCII text alike.

`PRETOKEN_PATTERN_BEFORE_HF` is the default of tokenizer files before format version 3,
written for `re` (whose `\\w` holds "_" and letters' marks, `\\d` only decimal digits, `\\s`
\\x1c-\\x1f): such files keep it, and encode as they did.
"""

from __future__ import annotations

DEFAULT_PRETOKEN_PATTERN = (
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")
# The same split on ASCII text for `re`: Unicode's White_Space in ASCII is \t-\r and " ".
ASCII_PRETOKEN_PATTERN = (
    r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\t-\r A-Za-z0-9]+"
    r"|[\t-\r ]+(?![^\t-\r ])|[\t-\r ]+")
# GPT-2's split written for `re`: contractions, letter runs, digit runs, other-symbol runs (each
# with one optional leading space), whitespace; the final [\s\S] makes coverage explicit.
PRETOKEN_PATTERN_BEFORE_HF = (
    r"'(?:[sdmt]|ll|ve|re)| ?[^\W\d]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+|[\s\S]")
BUILTIN_PRETOKEN_PATTERNS = (DEFAULT_PRETOKEN_PATTERN, PRETOKEN_PATTERN_BEFORE_HF)
# The format version of a file whose pre-token pattern is DEFAULT_PRETOKEN_PATTERN; a file of
# an older version without a "pattern" reads as PRETOKEN_PATTERN_BEFORE_HF.
HF_SPLIT_FORMAT_VERSION = 3


def pretoken_splitter(pattern: str):
    """The `Splitter` for a BPE pre-token pattern (the built-in ones unbounded in time)."""
    from seqlab.nlp.tokenizers.patterns import Splitter

    return Splitter(pattern, (PRETOKEN_PATTERN_BEFORE_HF,), "pre-token pattern",
                    trusted_unicode={DEFAULT_PRETOKEN_PATTERN: ASCII_PRETOKEN_PATTERN})
