"""`ngram eval` and `eval X.arpa` score a blank line as KenLM does (QA 21 A item 13): a sentence
of zero words whose </s> is scored and counted (`kenlm.Model.perplexity("")`, and `query`,
which scores each line read). They skipped blank lines, so the same file gave another
perplexity than KenLM's."""

from __future__ import annotations

import json
import math

import pytest
from inprocess import invoke
from kenlm_peer import kenlm_perplexity, needs_kenlm

from seqlab.nlp.ngram import load_arpa

TRAIN = "the cat sat\nthe dog sat\n\na cat ran on the mat\nthe dog ran\n" * 3
# blank lines, a line of spaces and tabs, and no newline at the end (the last line counts)
TEST = "the cat ran\n\nthe dog sat on the mat\n \t \n\na dog ran"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blank")
    (folder / "train.txt").write_text(TRAIN)
    (folder / "test.txt").write_text(TEST)
    done = invoke("ngram", "train", folder / "train.txt", "--order", "3", "--level",
                  "whitespace", "--out", folder / "m.arpa", "-q")
    assert done.returncode == 0, done.stderr
    return folder / "m.arpa", folder / "test.txt"


def _expected(path) -> tuple[float, int]:
    """Perplexity and tokens incl. </s> with each line, blank or not, a sentence: by seqlab's
    own scorer over the lines' token lists (an empty list for a blank line)."""
    lines = TEST.split("\n")
    perplexity, tokens, _ = load_arpa(path).perplexity_detail([line.split() for line in lines])
    assert tokens == sum(len(line.split()) + 1 for line in lines) == 18
    return perplexity, tokens


@pytest.mark.parametrize("command", [("ngram", "eval"), ("eval",)])
def test_a_blank_line_is_a_sentence_whose_end_is_scored(model, command):
    arpa, test = model
    done = invoke(*command, arpa, test, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    perplexity, tokens = _expected(arpa)
    assert (data["tokens"], data["sentences"]) == (tokens, 6)
    assert data["perplexity"] == pytest.approx(perplexity, rel=1e-12)
    assert data["loss"] == pytest.approx(math.log(perplexity), rel=1e-12)


@needs_kenlm
def test_the_perplexity_is_kenlms_over_every_line(model):
    arpa, test = model
    data = json.loads(invoke("ngram", "eval", arpa, test, "--json").stdout)
    assert data["perplexity"] == pytest.approx(kenlm_perplexity(arpa, TEST.split("\n")),
                                               rel=1e-5)


def test_an_order_1_arpa_file_says_that_kenlm_refuses_it(tmp_path):
    """QA 21 A item 12: README says kenlm.Model loads seqlab's ARPA files; of order 1 it does
    not (checked against kenlm below), and `ngram train` says so."""
    (tmp_path / "t.txt").write_text(TRAIN)
    done = invoke("ngram", "train", tmp_path / "t.txt", "--order", "1", "--out",
                  tmp_path / "u.arpa")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "KenLM refuses an ARPA file of order 1" in said and "--order 2" in said
    two = invoke("ngram", "train", tmp_path / "t.txt", "--order", "2", "--out",
                 tmp_path / "b.arpa")
    assert two.returncode == 0 and "KenLM" not in two.stderr


@needs_kenlm
def test_kenlm_refuses_an_order_1_file(tmp_path):
    import os
    import subprocess

    (tmp_path / "t.txt").write_text(TRAIN)
    assert invoke("ngram", "train", tmp_path / "t.txt", "--order", "1", "--out",
                  tmp_path / "u.arpa", "-q").returncode == 0
    done = subprocess.run([os.environ["SEQLAB_PEER_PYTHON"], "-c",
                           f"import kenlm; kenlm.Model({str(tmp_path / 'u.arpa')!r})"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "bigram" in done.stderr
