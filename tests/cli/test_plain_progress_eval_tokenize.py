"""`ngram eval` and `tokenize train` write plain progress lines to a log as the trainers and
`ngram train` do (when stderr is not a terminal, at most one per `progress.PLAIN_LINE_SECONDS`:
0 here, so each update is due); none with --json, none in a short run at the default
interval (stop 22's leftovers)."""

from __future__ import annotations

import pytest
from inprocess import invoke


@pytest.fixture
def no_interval(monkeypatch):
    from seqlab.cli import progress

    monkeypatch.setattr(progress, "PLAIN_LINE_SECONDS", 0.0)


@pytest.fixture(scope="module")
def arpa(tmp_path_factory, corpus_file):
    out = tmp_path_factory.mktemp("ngram") / "m.arpa"
    done = invoke("ngram", "train", corpus_file, "--order", "2", "--json", "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def test_ngram_eval_writes_its_scoring_progress_to_a_log(arpa, corpus_file, no_interval):
    done = invoke("ngram", "eval", arpa, corpus_file)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("ngram eval: ")]
    assert lines and "scoring" in lines[-1] and "tokens read" in lines[-1], done.stderr
    assert "\x1b" not in done.stderr
    assert "perplexity" in done.stdout


def test_ngram_eval_json_and_a_short_run_show_no_lines(arpa, corpus_file, monkeypatch):
    done = invoke("ngram", "eval", arpa, corpus_file)  # the default interval: 30 s
    assert done.returncode == 0 and "ngram eval:" not in done.stderr, done.stderr
    from seqlab.cli import progress

    monkeypatch.setattr(progress, "PLAIN_LINE_SECONDS", 0.0)
    quiet = invoke("ngram", "eval", arpa, corpus_file, "--json")
    assert quiet.returncode == 0 and "ngram eval:" not in quiet.stderr, quiet.stderr


@pytest.mark.parametrize("level", ["bpe", "word"])
def test_tokenize_train_writes_its_reading_progress_to_a_log(tmp_path, corpus_file, level,
                                                             no_interval):
    done = invoke("tokenize", "train", corpus_file, "--level", level, "--vocab-size", "300",
                  "--out", tmp_path / "t.json")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("tokenize train: ")]
    assert any("reading" in line and "characters read" in line for line in lines), lines
    assert "building the vocabulary" in lines[-1], lines
    assert "\x1b" not in done.stderr


def test_tokenize_train_quiet_shows_no_lines(tmp_path, corpus_file, no_interval):
    done = invoke("tokenize", "train", corpus_file, "--quiet", "--out", tmp_path / "t.json")
    assert done.returncode == 0, done.stderr
    assert "tokenize train:" not in done.stderr
