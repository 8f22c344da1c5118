"""An ARPA file without seqlab's mark line (KenLM's lmplz, SRILM, or seqlab's before it marked
its files): `ngram eval` (and `seqlab eval`, `ngram generate`) read the text as
`NgramLanguageModel.score(str)` does: by characters when the file holds seqlab's character level
(single characters, U+2581 for the space: as seqlab read those files), else as
whitespace-separated tokens (as lmplz read its training text and KenLM's `Model.score` reads
text, a KenLM character model's space-separated characters too), and say so in one info line
naming --level."""

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
def seqlab_char_model(tmp_path):
    """seqlab's character model before it marked its files: U+2581 spells the space."""
    model = KneserNey(3).fit([list("hello\u2581world"), list("held\u2581help")] * 2)
    (tmp_path / "test.txt").write_text("hello world\n held \nhelp\n", encoding="utf-8")
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


def _by_characters(lines):
    """The char level's tokens (a space spelled U+2581), blank lines dropped."""
    return [["\u2581" if ch == " " else ch for ch in line] for line in lines if line.strip()]


@pytest.mark.parametrize("which", ["seqlab_char_model", "char_model", "word_model"])
def test_eval_reads_an_unmarked_file_as_score_does_and_says_how(which, request):
    # seqlab's characters (U+2581 among them): by characters, as seqlab read its files before
    # it marked them; other tokens, a KenLM character model's too: by whitespace, as lmplz read
    # its training text and KenLM reads text
    path, test = request.getfixturevalue(which)
    lines = test.read_text(encoding="utf-8").splitlines()
    model = load_arpa(path)
    assert model.written_elsewhere and model.tokenization is None
    by_score = model.perplexity(lines)  # a str: `sentence_tokens` reads it
    by_characters = which == "seqlab_char_model"
    tokens = _by_characters(lines) if by_characters else [line.split() for line in lines]
    assert by_score == pytest.approx(model.perplexity(tokens), rel=1e-12)
    how = "by characters" if by_characters else "as whitespace-separated tokens"
    for command in (["ngram", "eval"], ["eval"]):
        done = invoke(*command, path, test, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["perplexity"] == pytest.approx(by_score, rel=1e-12)
        text = " ".join(done.stderr.split())
        assert text.count("info:") <= 1 and how in text and "--level" in text, text


def test_the_level_option_still_reads_an_unmarked_file_otherwise(seqlab_char_model):
    path, test = seqlab_char_model
    lines = test.read_text(encoding="utf-8").splitlines()
    by_whitespace = load_arpa(path).perplexity([line.split() for line in lines])
    done = invoke("ngram", "eval", path, test, "--level", "whitespace", "--json")
    assert json.loads(done.stdout)["perplexity"] == pytest.approx(by_whitespace, rel=1e-12)
    assert "no seqlab mark line" not in done.stderr  # the level was given: nothing to say


@needs_kenlm
def test_eval_of_a_kenlm_char_file_gives_kenlms_perplexity(char_model):
    """A KenLM character model (space-separated characters, no U+2581) was read by
    characters, each space an OOV: KenLM splits the text at spaces."""
    path, test = char_model
    theirs = kenlm_perplexity(path, test.read_text(encoding="utf-8").splitlines())
    assert _perplexity("ngram", "eval", path, test) == pytest.approx(theirs, rel=1e-5)


@needs_kenlm
def test_eval_of_a_foreign_word_file_gives_kenlms_perplexity(word_model):
    path, test = word_model
    theirs = kenlm_perplexity(path, test.read_text(encoding="utf-8").splitlines())
    assert _perplexity("ngram", "eval", path, test) == pytest.approx(theirs, rel=1e-5)


def test_generate_reads_the_prompt_and_writes_tokens_at_the_level_it_says(seqlab_char_model):
    path, _ = seqlab_char_model
    done = invoke("ngram", "generate", path, "--prompt", "he", "--greedy", "-n", "2")
    assert done.returncode == 0, done.stderr
    # "he" is two known characters: "l" follows them in every training word that has them
    assert done.stdout.startswith("hel"), done.stdout
    text = " ".join(done.stderr.split())  # Rich wraps a long line at the console width
    assert "by characters" in text and "ngram generate --level" in text, text
    spaced = invoke("ngram", "generate", path, "--prompt", "h e", "--greedy", "-n", "2",
                    "--level", "whitespace")
    assert spaced.stdout.startswith("h e l "), spaced.stdout
