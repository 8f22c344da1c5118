"""A bad --corpus or --series value is a usage error (exit 2, one line, the names to choose
from), as every other bad option value; a command that reads data files says what to give it
when offered --corpus/--series it does not have."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.mark.parametrize("args", [
    ["train", "--corpus", "nope", "--steps", "1"],
    ["ngram", "train", "--corpus", "nope"],
    ["word2vec", "train", "--corpus", "nope"],
    ["tokenize", "train", "--corpus", "nope"],
])
def test_an_unknown_corpus_name_is_a_usage_error(args, tmp_path):
    done = invoke(*args, "--out", tmp_path / ("x" + {"train": ".safetensors", "ngram": ".arpa",
                                                   "word2vec": ".txt",
                                                   "tokenize": ".json"}[args[0]]))
    assert_one_line_failure(done, "--corpus", "lee", "'nope'", code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_unknown_series_name_is_a_usage_error(tmp_path):
    done = invoke("forecast", "train", "--series", "nope", "--out", tmp_path / "f.safetensors")
    assert_one_line_failure(done, "--series", "sunspots", code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,words", [
    (["classify", "train", "--corpus", "polarity"], ["no --corpus", "CSV", "folder"]),
    (["seq2seq", "train", "--corpus", "lee"], ["no --corpus", "TSV"]),
    (["forecast", "train", "--corpus", "co2"], ["no --corpus", "--series"]),
    (["classify", "train", "--series", "co2"], ["no --series", "CSV"]),
])
def test_a_data_command_offered_corpus_says_what_it_reads(args, words):
    done = invoke(*args)
    assert_one_line_failure(done, *words, code=2)
    assert "Possible options" not in done.stderr
