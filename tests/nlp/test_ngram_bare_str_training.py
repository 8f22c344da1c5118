"""One bare str given where the training sentences go (`fit`, `fit_external`,
`train_kneser_ney_arpa`) is one sentence split on whitespace, as lmplz reads text and as
`perplexity("the cat sat")` reads it for a word model; a str sentence inside a list stays
its characters (a character-level model)."""

from __future__ import annotations

from seqlab.nlp.ngram import KneserNey, load_arpa
from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa


def test_fit_reads_a_bare_str_as_one_whitespace_split_sentence(tmp_path):
    model = KneserNey(2).fit("the cat  sat")
    assert set(model.vocab) == {"<unk>", "<s>", "</s>", "the", "cat", "sat"}
    assert model.perplexity("the cat sat") == model.perplexity([["the", "cat", "sat"]])
    external = KneserNey(2).fit_external("the cat  sat", 1 << 20, tmp_path)
    assert external.vocab == model.vocab


def test_train_kneser_ney_arpa_reads_a_bare_str_as_fit_does(tmp_path):
    train_kneser_ney_arpa("the cat sat", 2, tmp_path / "m.arpa", 1 << 20)
    KneserNey(2).fit("the cat sat").save_arpa(tmp_path / "fit.arpa")
    assert (tmp_path / "m.arpa").read_bytes() == (tmp_path / "fit.arpa").read_bytes()
    assert load_arpa(tmp_path / "m.arpa").counts == [6, 4]


def test_str_sentences_in_a_list_stay_characters():
    model = KneserNey(2).fit(["abc", "ab"])
    assert set(model.vocab) == {"<unk>", "<s>", "</s>", "a", "b", "c"}
    assert model.score("ab") == model.score(["a", "b"])
