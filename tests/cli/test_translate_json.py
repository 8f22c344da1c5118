"""`seq2seq translate --json` (qaA s20 LOW 9): one JSON object like `classify predict --json`'s,
each translation naming its input line, with the same text and scores as the plain output."""

from __future__ import annotations

import json

import pytest
from inprocess import invoke

TINY = ["--hidden", "8", "--layers", "1", "--embedding-dim", "8", "--steps", "1",
        "--source-level", "word", "--target-level", "word", "-q"]
WORDS = ["the cat", "a dog", "my hat", "red sun"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("translate_json")
    pairs = folder / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w.upper()}\n" for w in WORDS * 4), encoding="utf-8")
    out = folder / "m.safetensors"
    done = invoke("seq2seq", "train", pairs, "--out", out, *TINY)
    assert done.returncode == 0, done.stderr
    return out


def test_json_names_each_line_and_matches_the_text(model, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("the cat\na dog\n", encoding="utf-8")
    plain = invoke("seq2seq", "translate", model, source)
    done = invoke("seq2seq", "translate", model, source, "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)["translations"]
    assert [item["input"] for item in items] == [f"{source}:1", f"{source}:2"]
    assert [item["source"] for item in items] == ["the cat", "a dog"]
    assert [item["translation"] for item in items] == plain.stdout.splitlines()
    assert all(isinstance(item["score"], float) for item in items)


def test_json_nbest_lists_each_hypothesis(model, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("my hat\n", encoding="utf-8")
    plain = invoke("seq2seq", "translate", model, source, "--beam", "2", "--nbest", "2")
    done = invoke("seq2seq", "translate", model, source, "--beam", "2", "--nbest", "2",
                  "--json")
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(done.stdout)["translations"]
    rows = [line.split(" ||| ") for line in plain.stdout.splitlines()]
    assert [h["text"] for h in item["nbest"]] == [text for _, text, _ in rows]
    assert [f"{h['score']:.4f}" for h in item["nbest"]] == [score for _, _, score in rows]
    assert item["translation"] == item["nbest"][0]["text"]


def test_json_of_no_lines_is_an_empty_list(model, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    done = invoke("seq2seq", "translate", model, empty, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"translations": []}


@pytest.mark.parametrize("penalty", ["1", "0", "2"])
def test_score_has_one_scale_at_every_beam(model, tmp_path, penalty):
    """QA s20 Q2 LOW 6: `score` is logprob / length ** --length-penalty at --beam 1 as at
    --beam 3 (the same output gets the same score), and `logprob` is the total."""
    source = tmp_path / "in.txt"
    source.write_text("the cat\nred sun\n", encoding="utf-8")
    items = {}
    for beam in ("1", "3"):
        done = invoke("seq2seq", "translate", model, source, "--beam", beam,
                      "--length-penalty", penalty, "--json")
        assert done.returncode == 0, done.stderr
        items[beam] = json.loads(done.stdout)["translations"]
    for greedy, beam in zip(items["1"], items["3"]):
        if greedy["translation"] == beam["translation"]:
            assert greedy["score"] == pytest.approx(beam["score"], rel=1e-9)
            assert greedy["logprob"] == pytest.approx(beam["logprob"], rel=1e-9)
        if penalty == "0":
            assert greedy["score"] == pytest.approx(greedy["logprob"], rel=1e-12)
    assert any(a["translation"] == b["translation"] for a, b in zip(items["1"], items["3"]))
