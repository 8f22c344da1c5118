"""An ARPA file seqlab did not write (no mark line: KenLM's lmplz, SRILM) holds tokens that lay
between whitespace in its training text, as lmplz reads text: `ngram eval` (and `seqlab eval`)
read the test text so too, as `NgramLanguageModel.score(str)` and KenLM's `Model.score` do,
whether its tokens look like words or single characters."""

from __future__ import annotations

import json

import pytest
from inprocess import invoke
from kenlm_peer import kenlm_perplexity, needs_kenlm

from seqlab.nlp.ngram import KneserNey, load_arpa

CHAR_TEST = "h e l l o\nw o r l d\n h e\tl d \nh e l p\n"
WORD_TEST = "the dog, sat.\nthe cat sat on the mat.\n"


def _foreign(model, tmp_path):
    """`model` as an ARPA file without seqlab's mark line (as lmplz writes one)."""
    model.save_arpa(tmp_path / "m.arpa")
    first, body = (tmp_path / "m.arpa").read_bytes().split(b"\n", 1)
    assert first.startswith(b"# written by seqlab")
    (tmp_path / "foreign.arpa").write_bytes(body)
    return tmp_path / "foreign.arpa"


@pytest.fixture
def char_model(tmp_path):
    """A character model as KenLM holds one: space-separated characters in the file."""
    model = KneserNey(3).fit([list("hello"), list("world"), list("held")] * 2)
    (tmp_path / "test.txt").write_text(CHAR_TEST, encoding="utf-8")
    return _foreign(model, tmp_path), tmp_path / "test.txt"


@pytest.fixture
def word_model(tmp_path):
    model = KneserNey(2).fit([s.split() for s in ("the dog, sat.", "the cat sat.",
                                                  "the dog sat on the mat.")] * 2)
    (tmp_path / "test.txt").write_text(WORD_TEST, encoding="utf-8")
    return _foreign(model, tmp_path), tmp_path / "test.txt"


def _perplexity(*args) -> float:
    done = invoke(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["perplexity"]


@pytest.mark.parametrize("which", ["char_model", "word_model"])
def test_eval_reads_a_foreign_file_by_whitespace_as_score_does(which, request):
    path, test = request.getfixturevalue(which)
    lines = test.read_text(encoding="utf-8").splitlines()
    model = load_arpa(path)
    assert model.written_elsewhere and model.tokenization is None
    by_score = model.perplexity(lines)  # a str: `sentence_tokens` splits it on whitespace
    assert by_score == pytest.approx(model.perplexity([line.split() for line in lines]),
                                     rel=1e-12)
    assert _perplexity("ngram", "eval", path, test) == pytest.approx(by_score, rel=1e-12)
    assert _perplexity("eval", path, test) == pytest.approx(by_score, rel=1e-12)


def test_the_level_option_still_reads_a_foreign_file_otherwise(char_model):
    path, test = char_model
    lines = test.read_text(encoding="utf-8").splitlines()
    by_characters = load_arpa(path).perplexity(  # the char level spells a space U+2581
        [["\u2581" if ch == " " else ch for ch in line] for line in lines if line.strip()])
    assert _perplexity("ngram", "eval", path, test, "--level", "char") == \
        pytest.approx(by_characters, rel=1e-12)


@needs_kenlm
@pytest.mark.parametrize("which", ["char_model", "word_model"])
def test_eval_of_a_foreign_file_gives_kenlms_perplexity(which, request):
    path, test = request.getfixturevalue(which)
    theirs = kenlm_perplexity(path, test.read_text(encoding="utf-8").splitlines())
    assert _perplexity("ngram", "eval", path, test) == pytest.approx(theirs, rel=1e-5)


def test_generate_reads_the_prompt_and_writes_tokens_as_the_file_holds_them(char_model):
    path, _ = char_model
    done = invoke("ngram", "generate", path, "--prompt", "h e", "--greedy", "-n", "2")
    assert done.returncode == 0, done.stderr
    # "h e" is two known tokens: "l" follows them in every training word that has them
    assert done.stdout.startswith("h e l ")
