"""Tokenizers print what they are, as HF's fast tokenizers and gensim's models do, not
Python's `<... object at 0x...>` (QA stop 19, finding 7); a language model's repr as
PyTorch's modules."""

from __future__ import annotations

from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer


def test_bpe_repr_names_its_size_and_merges():
    tokenizer = BPETokenizer.train("hello world " * 20, vocab_size=270)
    assert repr(tokenizer) == (f"BPETokenizer(vocab_size={tokenizer.vocab_size}, "
                               f"merges={len(tokenizer.merges)})")
    custom = BPETokenizer(tokenizer.merges, pattern=r"\S+")
    assert repr(custom).endswith(r"pattern='\\S+')")


def test_char_repr_names_its_options():
    assert repr(CharTokenizer("abc")) == "CharTokenizer(vocab_size=7)"
    assert repr(CharTokenizer(byte_level=True, lowercase=True)) == \
        "CharTokenizer(vocab_size=260, byte_level=True, lowercase=True)"
    assert repr(CharTokenizer("ab", normalize="NFC")) == \
        "CharTokenizer(vocab_size=6, normalize='NFC')"


def test_word_repr_with_and_without_a_vocabulary():
    tokenizer = WordTokenizer.train("the cat the dog")
    assert repr(tokenizer) == f"WordTokenizer(vocab_size={tokenizer.vocab_size})"
    assert repr(WordTokenizer(lowercase=True)) == "WordTokenizer(vocab_size=None, lowercase=True)"


def test_language_model_repr_is_laid_out_as_pytorch():
    from seqlab.seqmodels import LanguageModel

    lines = repr(LanguageModel(vocab_size=50, embedding_dim=8, hidden_size=16)).splitlines()
    assert lines[0] == "LanguageModel("
    assert lines[1].startswith("  vocab_size=50, embedding_dim=8, hidden_size=16")
    assert "cell='lstm'" in lines[1] or "cell='gru'" in lines[1] or "cell='rnn'" in lines[1]
    assert lines[2].startswith("  (embedding): Embedding(50, 8)") and lines[-1] == ")"
