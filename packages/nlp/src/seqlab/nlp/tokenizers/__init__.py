"""Tokenizers: character, word and byte-level BPE, all with <pad> <unk> <s> </s> at ids 0..3."""

from __future__ import annotations

from pathlib import Path

from seqlab.nlp.tokenizers.base import BOS, EOS, PAD, SPECIAL_TOKENS, UNK, Tokenizer
from seqlab.nlp.tokenizers.bpe import BPETokenizer
from seqlab.nlp.tokenizers.char import CharTokenizer
from seqlab.nlp.tokenizers.word import WordTokenizer

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SPECIAL_TOKENS",
    "UNK",
    "BPETokenizer",
    "CharTokenizer",
    "Tokenizer",
    "WordTokenizer",
    "load_tokenizer",
]


def load_tokenizer(path: str | Path) -> Tokenizer:
    """Read any seqlab tokenizer JSON file (its "type" picks the class)."""
    return Tokenizer.load(path)
