"""TSV pairs files with more than two fields (Tatoeba / ManyThings: en<TAB>fr<TAB>attribution):
refused with the line and the field count unless `--columns` picks the two to read, on `seq2seq
train` and `seq2seq eval` alike; the id cache and a resumed run keep to the chosen columns."""

from __future__ import annotations

import json

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot

TINY = ["--hidden", "8", "--layers", "1", "--embedding-dim", "8", "--steps", "1",
        "--source-level", "word", "--target-level", "word", "-q"]
WORDS = ["the cat", "a dog", "my hat", "red sun", "old man", "big sea", "wet day", "hot tea"]
ATTRIBUTION = "CC-BY 2.0 (France) Attribution: tatoeba.org #1 (CM) & #2 (sacredceltic)"


def _tatoeba(folder, name="tatoeba.tsv"):
    """Lines `source<TAB>target<TAB>attribution<TAB>target's words reversed`."""
    path = folder / name
    path.write_text("".join(f"{w}\t{w.upper()}\t{ATTRIBUTION}\t"
                            f"{' '.join(reversed(w.upper().split()))}\n" for w in WORDS * 4))
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("columns")
    out = folder / "m.safetensors"
    done = invoke("seq2seq", "train", _tatoeba(folder), "--columns", "1,2", "--out", out,
                  *TINY)
    assert done.returncode == 0, done.stderr
    return out


def test_a_third_field_is_refused_with_its_line_and_count(model, tmp_path):
    pairs = tmp_path / "q2.tsv"
    pairs.write_text("the cat\tEHT TAC\nthe dog\tEHT GOD\tEXTRA\n")
    before = snapshot(tmp_path)
    assert_one_line_failure(invoke("seq2seq", "eval", model, pairs, "--beam", "1"),
                            "q2.tsv:2", "3 tab-separated fields", "--columns 1,2")
    out = tmp_path / "new.safetensors"
    assert_one_line_failure(invoke("seq2seq", "train", pairs, "--out", out, *TINY),
                            "q2.tsv:2", "3 tab-separated fields", "--columns 1,2")
    assert snapshot(tmp_path) == before


def test_columns_choose_the_fields_on_train_and_eval(model, tmp_path):
    tatoeba = _tatoeba(tmp_path)
    two = tmp_path / "two.tsv"
    two.write_text("".join(f"{w}\t{w.upper()}\n" for w in WORDS))
    chosen = invoke("seq2seq", "eval", model, tatoeba, "--columns", "1,2", "--beam", "1",
                    "--json")
    plain = invoke("seq2seq", "eval", model, two, "--beam", "1", "--json")
    assert chosen.returncode == 0 and plain.returncode == 0, (chosen.stderr, plain.stderr)
    assert json.loads(chosen.stdout) == json.loads(plain.stdout)
    # the model learnt the 2nd field's words, never the attribution's
    from seqlab.cli.commands.seq2seq import _load

    target = _load(model)[2]
    assert target.token_to_id("Attribution") == target.unk_id
    assert target.token_to_id("CAT") != target.unk_id
    # a field past the line's end: the line, its count and the columns asked for
    assert_one_line_failure(invoke("seq2seq", "eval", model, two, "--columns", "1,3"),
                            "two.tsv:1", "2 tab-separated fields", "--columns 1,3")


@pytest.mark.parametrize("value", ["1", "1,2,3", "0,1", "a,b", "2,2", "-1,2"])
def test_bad_columns_are_usage_errors(model, tmp_path, value):
    pairs = _tatoeba(tmp_path)
    assert_one_line_failure(invoke("seq2seq", "eval", model, pairs, "--columns", value),
                            "--columns", code=2)


def test_the_id_cache_and_a_resumed_run_keep_to_the_columns(tmp_path):
    pairs = _tatoeba(tmp_path)
    out = tmp_path / "c.safetensors"

    def cache_keys():
        return sorted(p.name for p in (tmp_path / "c.cache").glob("*.pairs.json"))

    # columns 2 and 4 hold the same words in another order: the same vocabulary, so only a
    # key that names the columns tells their ids apart
    assert invoke("seq2seq", "train", pairs, "--columns", "1,2", "--out", out,
                  *TINY).returncode == 0
    first = cache_keys()
    done = invoke("seq2seq", "train", pairs, "--columns", "1,4", "--out", out, "--force",
                  *TINY)
    assert done.returncode == 0, done.stderr
    assert cache_keys() != first
    resumed = invoke("seq2seq", "train", "--resume", out, "--columns", "1,2", "--steps", "2")
    assert_one_line_failure(resumed, "--columns", "1,4")
