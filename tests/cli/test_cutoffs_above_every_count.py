"""Cut-offs above every count are refused in one line, as word2vec refuses them; `ngram eval`
counts the unknown tokens as `seqlab eval` does; --vocab-size names the level's own smallest
size (qaC stop 21, findings 7 and 8)."""

from __future__ import annotations

import json

import pytest
from inprocess import invoke

TEXT = "the cat sat on the mat\nthe dog sat\n"


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "c.txt").write_text(TEXT, encoding="utf-8")
    return tmp_path / "c.txt"


def _one_line_refusal(done) -> str:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.mark.parametrize("out", ["m.arpa", "m.npz"])
def test_an_unk_cutoff_above_every_count_is_refused(corpus, tmp_path, out):
    done = invoke("ngram", "train", corpus, "--unk-cutoff", "1000", "--out", tmp_path / out)
    line = _one_line_refusal(done)
    assert "unk-cutoff" in line and "'the', occurs 3" in line
    assert not (tmp_path / out).exists()


def test_a_min_count_above_every_count_is_refused(corpus, tmp_path):
    done = invoke("tokenize", "train", corpus, "--level", "word", "--min-count", "1000000",
                  "--out", tmp_path / "t.json")
    line = _one_line_refusal(done)
    assert "--min-count 1000000" in line
    assert not (tmp_path / "t.json").exists()


def test_ngram_eval_counts_unknown_tokens(corpus, tmp_path):
    done = invoke("ngram", "train", corpus, "--unk-cutoff", "2", "--order", "2", "--out",
                  tmp_path / "m.arpa", "-q")
    assert done.returncode == 0, done.stderr
    (tmp_path / "t.txt").write_text("the cat sat\nthe zebra sat\n", encoding="utf-8")
    done = invoke("ngram", "eval", tmp_path / "m.arpa", tmp_path / "t.txt", "--json")
    assert json.loads(done.stdout)["unknown_tokens"] == 2  # cat (seen once), zebra
    done = invoke("ngram", "eval", tmp_path / "m.arpa", tmp_path / "t.txt")
    assert "2 unknown" in done.stdout


@pytest.mark.parametrize(("level", "smallest"), [("word", 5), ("char", 5), ("bpe", 260)])
def test_vocab_size_range_names_the_levels_smallest(corpus, tmp_path, level, smallest):
    done = invoke("tokenize", "train", corpus, "--level", level, "--vocab-size", "0",
                  "--out", tmp_path / "t.json")
    line = _one_line_refusal(done)
    assert f"at least {smallest}" in line and "[1, inf" not in line
