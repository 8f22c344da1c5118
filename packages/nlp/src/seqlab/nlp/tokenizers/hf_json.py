"""A seqlab tokenizer as Hugging Face `tokenizers`' `tokenizer.json` (no `tokenizers` import).

BPE becomes HF's BPE model under HF's own `ByteLevel` pre-tokenizer (GPT-2's split, which
is seqlab's default pre-token pattern since tokenizer format 3: the same split on every code
point both Unicode versions assign, see `bpe_patterns`), and a word tokenizer HF's WordLevel
model under a `Split` (and `Lowercase` where it lowercases); `Tokenizer.from_file` then encodes
text to seqlab's ids, and BPE decodes them back to the same text. The older built-in patterns
(BPE files before format 3, word patterns) run on Python's `re`/`regex`, whose `\\w`, `\\d`
and `\\s` differ from Oniguruma's (HF's engine) on some characters (`\\x1c`-`\\x1f`, marks,
non-decimal digits), so their `Split` pattern spells each class out as code point ranges taken
from the Python engine itself, ahead of a `ByteLevel` without its own split: the same split on
every text. A custom pattern cannot be translated so, and a char tokenizer has no HF model
that reads text the same way (byte mode, normalization, unknown characters): both are refused.

The specials <pad> <unk> <s> </s> keep ids 0-3 in the vocabulary but are not HF "added
tokens": HF would cut a literal "<s>" in the text into id 2, where seqlab encodes its
characters (register them with `add_special_tokens` where that is wanted).
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from itertools import chain
from typing import Any

from seqlab.nlp.tokenizers.base import SPECIAL_TOKENS, Tokenizer

HF_FORMAT_VERSION = "1.0"  # the "version" of the tokenizer.json `tokenizers` writes
# The key and value marking the pre-tokenizer of an exported file as seqlab's, so a later
# export may replace it (`tokenizers` ignores the key; it refuses unknown top-level keys).
EXPORT_MARK = ("exported_by", "seqlab")


class NotExportableError(ValueError):
    """The tokenizer has no Hugging Face equivalent that encodes text to the same ids."""


@lru_cache(maxsize=8)
def _ranges(test_pattern: str, engine: str) -> str:
    """The inside of a character class for every code point (no surrogates) that one
    character of `test_pattern` matches under `engine` ("re" or "regex"), as Oniguruma
    `\\x{...}` ranges."""
    if engine == "re":
        matcher = re.compile(test_pattern).fullmatch
    else:
        import regex

        matcher = regex.compile(test_pattern, flags=regex.VERSION0).fullmatch
    parts, start, previous = [], None, -2
    for code in chain(range(0xD800), range(0xE000, sys.maxunicode + 1)):
        if matcher(chr(code)) is None:
            continue
        if code != previous + 1:
            if start is not None:
                parts.append(_span(start, previous))
            start = code
        previous = code
    if start is not None:
        parts.append(_span(start, previous))
    return "".join(parts)


def _span(first: int, last: int) -> str:
    return f"\\x{{{first:X}}}" if first == last else f"\\x{{{first:X}}}-\\x{{{last:X}}}"


def bpe_split_pattern(pattern: str) -> str:
    """The Oniguruma pattern that splits text as the BPE pre-token pattern of files before
    format 3 does."""
    from seqlab.nlp.tokenizers.bpe import PRETOKEN_PATTERN_BEFORE_HF

    if pattern != PRETOKEN_PATTERN_BEFORE_HF:
        raise NotExportableError("only the built-in pre-token patterns can be exported (a "
                                 "custom pattern may split differently under Hugging Face's "
                                 "regex engine)")
    letters, digits = _ranges(r"[^\W\d]", "re"), _ranges(r"\d", "re")
    space, word = _ranges(r"\s", "re"), _ranges(r"\w", "re")
    return (f"'(?:[sdmt]|ll|ve|re)| ?[{letters}]+| ?[{digits}]+| ?[^{space}{word}]+"
            f"|[{space}]+(?![^{space}])|[{space}]+|[\\s\\S]")


def word_split_pattern(pattern: str) -> str:
    """The Oniguruma pattern that splits text as a built-in word pattern does."""
    from seqlab.nlp.tokenizers.word import DEFAULT_PATTERN, PATTERN_BEFORE_MARKS, PATTERN_MARKS

    if pattern == DEFAULT_PATTERN:  # Oniguruma's \X is the extended grapheme cluster too
        word, space = _ranges(r"[\w\p{M}]", "regex"), _ranges(r"\s", "regex")
        joiner, cf = r"[\x{200C}\x{200D}]", _ranges(r"\p{Cf}", "regex")
        start = f"(?!{joiner})[{word}]"
        return (f"{start}[{word}]*(?:['\\x{{2019}}]{start}[{word}]*)*"
                f"|(?=[^{word}{space}{cf}])\\X")
    if pattern == PATTERN_MARKS:
        word, space = _ranges(r"[\w\p{M}]", "regex"), _ranges(r"\s", "regex")
    elif pattern == PATTERN_BEFORE_MARKS:
        word, space = _ranges(r"\w", "re"), _ranges(r"\s", "re")
    else:
        raise NotExportableError("only the built-in word patterns can be exported (a custom "
                                 "pattern may split differently under Hugging Face's regex "
                                 "engine)")
    return f"[{word}]+(?:['\\x{{2019}}][{word}]+)*|[^{word}{space}]"


def _split(pattern: str, keep_between: bool) -> dict[str, Any]:
    """HF's Split into the pattern's matches (and the text between them, if `keep_between`)."""
    if keep_between:
        return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated",
                "invert": False}
    # inverted: the matches are the pieces, the text between them the removed delimiters
    return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Removed",
            "invert": True}


def _byte_level(use_regex: bool) -> dict[str, Any]:
    return {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
            "use_regex": use_regex}


def _document(normalizer: Any, pre_tokenizer: dict, decoder: Any, model: dict) -> dict:
    kind, rest = pre_tokenizer["type"], {k: v for k, v in pre_tokenizer.items() if k != "type"}
    pre_tokenizer = {"type": kind, EXPORT_MARK[0]: EXPORT_MARK[1], **rest}  # the mark 2nd
    return {"version": HF_FORMAT_VERSION, "truncation": None, "padding": None,
            "added_tokens": [], "normalizer": normalizer, "pre_tokenizer": pre_tokenizer,
            "post_processor": None, "decoder": decoder, "model": model}


def _vocab(tokenizer: Tokenizer) -> dict[str, int]:
    """The model's `vocab`: every token of `tokenizer` with its id."""
    return {tokenizer.id_to_token(i): i for i in range(tokenizer.vocab_size)}


def to_hf_json(tokenizer: Tokenizer) -> dict[str, Any]:
    """The `tokenizer.json` document (a dict ready for `json.dump`) for a BPE or word
    tokenizer; NotExportableError naming why for anything else."""
    from seqlab.nlp.tokenizers.bpe import DEFAULT_PRETOKEN_PATTERN, BPETokenizer
    from seqlab.nlp.tokenizers.word import WordTokenizer

    if isinstance(tokenizer, BPETokenizer):
        vocab = _vocab(tokenizer)
        merges = [[tokenizer.id_to_token(left), tokenizer.id_to_token(right)]
                  for left, right in tokenizer.merges]
        model = {"type": "BPE", "dropout": None, "unk_token": None,
                 "continuing_subword_prefix": None, "end_of_word_suffix": None,
                 "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                 "vocab": vocab, "merges": merges}
        if tokenizer.pattern == DEFAULT_PRETOKEN_PATTERN:  # HF's split itself
            return _document(None, _byte_level(True), _byte_level(True), model)
        # the split runs on the text, then ByteLevel maps each piece's bytes to characters
        pre_tokenizer = {"type": "Sequence", "pretokenizers": [
            _split(bpe_split_pattern(tokenizer.pattern), True), _byte_level(False)]}
        return _document(None, pre_tokenizer, _byte_level(True), model)
    if isinstance(tokenizer, WordTokenizer):
        vocab = _vocab(tokenizer)
        model = {"type": "WordLevel", "vocab": vocab, "unk_token": SPECIAL_TOKENS[1]}
        normalizer = {"type": "Lowercase"} if tokenizer.lowercase else None
        split = _split(word_split_pattern(tokenizer.pattern), False)
        return _document(normalizer, split, None, model)
    raise NotExportableError(
        f"a {tokenizer.type_name} tokenizer has no Hugging Face equivalent that gives the same "
        "ids (HF has no character-level model); export a bpe or word tokenizer")
