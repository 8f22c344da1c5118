"""`ngram train --level whitespace` ("as lmplz") writes every token it splits: a token may hold
U+00A0, U+3000, U+2028 or U+0085, which KenLM keeps inside words (qaC stop 21, finding 2)."""

from __future__ import annotations

import json

import pytest
from inprocess import invoke
from kenlm_peer import kenlm_scores, needs_kenlm

from seqlab.nlp.ngram import load_arpa
from seqlab.nlp.ngram.arpa import encode_vocab
from seqlab.nlp.ngram.kenlm_split import KENLM_WHITESPACE

ODD = ["word\u00a0nbsp", "ideo\u3000space", "line\u2028sep", "next\u0085line", "fs\x1cx"]
LINES = [f"the {ODD[0]} and {ODD[1]}", f"{ODD[2]} the {ODD[3]} {ODD[4]}", "the and the"] * 3


@pytest.fixture
def arpa(tmp_path):
    (tmp_path / "c.txt").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    done = invoke("ngram", "train", tmp_path / "c.txt", "--level", "whitespace", "--order",
                  "2", "--out", tmp_path / "m.arpa", "-q")
    assert done.returncode == 0, done.stderr
    return tmp_path / "m.arpa"


def test_tokens_with_unicode_spaces_are_written(arpa):
    assert set(ODD) <= set(load_arpa(arpa).vocab)


@pytest.mark.parametrize("space", list(KENLM_WHITESPACE))
def test_only_kenlms_whitespace_is_refused(space):
    with pytest.raises(ValueError, match="cannot be written"):
        encode_vocab(["a", f"x{space}y"])


@needs_kenlm
def test_kenlm_loads_it_and_scores_as_ngram_eval(arpa, tmp_path):
    # (kenlm_perplexity counts tokens by str.split(), which cuts at U+00A0)
    scores = [by_ends[True, True] for by_ends in kenlm_scores(arpa, LINES[:3])]
    theirs = 10 ** (-sum(total for total, _ in scores) / sum(len(full) for _, full in scores))
    (tmp_path / "t.txt").write_text("\n".join(LINES[:3]) + "\n", encoding="utf-8")
    done = invoke("ngram", "eval", arpa, tmp_path / "t.txt", "--json")
    assert json.loads(done.stdout)["perplexity"] == pytest.approx(theirs, rel=1e-6)
