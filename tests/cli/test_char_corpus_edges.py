"""Char-level corner cases (cliqa stop 17, item 8): a file of only newlines is a char corpus
(a newline is a character token) for train and eval, while at word level it stays empty; and
counts of one read "1 token"."""

from __future__ import annotations

import json

from cli_helpers import run

SMALL = ["--batch-size", "1", "--seq-len", "2", "--val-fraction", "0", "--hidden", "8",
         "--layers", "1", "--embedding-dim", "4", "--quiet"]


def test_a_newline_only_file_is_a_char_corpus(tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("\n" * 6, encoding="utf-8")
    out = tmp_path / "nl.safetensors"
    trained = run("train", str(lines), "--steps", "2", "--out", str(out), "--json", *SMALL)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["steps"] == 2
    scored = run("eval", str(out), str(lines), "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["tokens"] == 5  # every newline after the first
    words = run("train", str(lines), "--level", "word", "--steps", "2",
                "--out", str(tmp_path / "w.safetensors"), *SMALL)
    assert words.returncode == 1 and "the corpus has no tokens" in words.stderr


def test_one_token_is_counted_in_the_singular(tmp_path, trained_model):
    one = tmp_path / "one.txt"
    one.write_text("a", encoding="utf-8")
    trained = run("train", str(one), "--steps", "2", "--out", str(tmp_path / "o.safetensors"),
                  "--quiet")
    assert trained.returncode == 1 and "Traceback" not in trained.stderr
    assert "has 1 token," in trained.stderr and "1 tokens" not in trained.stderr
    scored = run("eval", str(trained_model), str(one))
    assert scored.returncode == 1 and "gives 1 token;" in scored.stderr, scored.stderr
