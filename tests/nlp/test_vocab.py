"""Vocabulary: counting, pruning, <unk>, id <-> token, JSON round trips and bad files."""

import json
from collections import Counter

import pytest

from seqlab.nlp.vocab import SPECIAL_TOKENS, UNK, Vocabulary

WORDS = ["the", "cat", "sat", "on", "the", "mat", "the", "end", "cat"]


def test_build_orders_specials_then_count_then_alphabet():
    vocab = Vocabulary.build(WORDS)
    # the:3, cat:2, then the count-1 words alphabetically.
    assert vocab.tokens == [*SPECIAL_TOKENS, "the", "cat", "end", "mat", "on", "sat"]
    assert vocab.count("the") == 3 and vocab.count("cat") == 2 and vocab.count("zebra") == 0
    assert len(vocab) == 10


def test_min_count_and_max_size_prune_the_rarest():
    assert Vocabulary.build(WORDS, min_count=2).tokens == [*SPECIAL_TOKENS, "the", "cat"]
    # max_size counts the four specials too.
    assert Vocabulary.build(WORDS, max_size=5).tokens == [*SPECIAL_TOKENS, "the"]
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary.build(WORDS, max_size=3)
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.build(WORDS, min_count=0)


def test_accepts_sentences_and_counters_alike():
    sentences = [WORDS[:4], WORDS[4:]]
    expected = Vocabulary.build(WORDS)
    assert Vocabulary.build(sentences) == expected
    assert Vocabulary.build(Counter(WORDS)) == expected


def test_unknown_tokens_map_to_unk_and_ids_round_trip():
    vocab = Vocabulary.build(WORDS)
    assert vocab.token_to_id("zebra") == vocab.unk_id == SPECIAL_TOKENS.index(UNK)
    ids = vocab.lookup(["the", "zebra", "mat"])
    assert [vocab.id_to_token(i) for i in ids] == ["the", UNK, "mat"]
    assert "cat" in vocab and "zebra" not in vocab
    with pytest.raises(IndexError):
        vocab.id_to_token(len(vocab))


def test_save_load_round_trip(tmp_path):
    vocab = Vocabulary.build([*WORDS, "naïve", "日本"])
    path = tmp_path / "vocab.json"
    vocab.save(path)
    loaded = Vocabulary.load(path)
    assert loaded == vocab and loaded.counts == vocab.counts


def test_constructor_rejects_missing_specials_and_duplicates():
    with pytest.raises(ValueError, match="must start with"):
        Vocabulary(["a", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary([*SPECIAL_TOKENS, "a", "a"])


def test_load_rejects_files_that_are_not_vocabularies(tmp_path):
    not_json = tmp_path / "notes.json"
    not_json.write_text("this is { not json")
    with pytest.raises(ValueError, match=r"notes\.json"):
        Vocabulary.load(not_json)
    other_type = tmp_path / "tokenizer.json"
    other_type.write_text(json.dumps({"type": "bpe", "merges": []}))
    with pytest.raises(ValueError, match=r"tokenizer\.json"):
        Vocabulary.load(other_type)
    malformed = tmp_path / "broken.json"
    malformed.write_text(json.dumps({"type": "vocabulary", "tokens": [1, 2]}))
    with pytest.raises(ValueError, match=r"broken\.json"):
        Vocabulary.load(malformed)
    with pytest.raises(FileNotFoundError, match=r"missing\.json"):
        Vocabulary.load(tmp_path / "missing.json")
