"""`tokenize encode TOKENIZER ARG` reads ARG as a file when one of that name exists and
refuses a name that looks like a file but names none (the rule of `seq2seq translate`);
`tokenize decode` says what it expects when given something other than token ids."""

from __future__ import annotations

import json

import pytest
from inprocess import assert_one_line_failure, invoke

TEXT = "To be, or not to be: that is the question.\nWhether 'tis nobler in the mind\n"


@pytest.fixture()
def tokenizer(tmp_path):
    corpus = tmp_path / "held.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    path = tmp_path / "char.json"
    done = invoke("tokenize", "train", corpus, "--level", "char", "--out", path)
    assert done.returncode == 0, done.stderr
    return path


def _ids(done) -> list[int]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["ids"]


def test_an_existing_file_is_encoded_not_its_name(tokenizer, tmp_path):
    held = tmp_path / "held.txt"
    from_file = _ids(invoke("tokenize", "encode", tokenizer, held, "--json"))
    from_text = _ids(invoke("tokenize", "encode", tokenizer, TEXT, "--json"))
    assert from_file == from_text
    # --text takes the argument as it is: the name's characters
    name = _ids(invoke("tokenize", "encode", tokenizer, str(held), "--text", "--json"))
    assert len(name) == len(str(held)) != len(from_file)
    plain = invoke("tokenize", "encode", tokenizer, held)
    assert plain.stdout.split() == [str(i) for i in from_file]


def test_a_missing_file_name_and_a_folder_are_refused(tokenizer, tmp_path):
    for missing in ("nope.txt", str(tmp_path / "nope")):
        done = invoke("tokenize", "encode", tokenizer, missing)
        assert_one_line_failure(done, "no such file", missing, "--text")
        assert done.stdout == ""
    assert_one_line_failure(invoke("tokenize", "encode", tokenizer, tmp_path), "is a folder")
    # ordinary text, even with a full stop, is still encoded
    assert _ids(invoke("tokenize", "encode", tokenizer, "to be.", "--json"))


def test_decode_says_what_it_expects(tokenizer, tmp_path, monkeypatch):
    import io
    import sys

    ids_file = tmp_path / "ids.txt"
    ids_file.write_text(invoke("tokenize", "encode", tokenizer, "to be").stdout)
    done = invoke("tokenize", "decode", tokenizer, ids_file)
    assert_one_line_failure(done, "is a file", "decode expects token ids", f"- < {ids_file}",
                            code=2)
    done = invoke("tokenize", "decode", tokenizer, "3", "x7")
    assert_one_line_failure(done, "argument 2 is 'x7'", "decode expects token ids", code=2)
    monkeypatch.setattr(sys, "stdin", io.StringIO(ids_file.read_text() + " oops"))
    done = invoke("tokenize", "decode", tokenizer)
    assert_one_line_failure(done, "on stdin is 'oops'", "decode expects token ids")
    monkeypatch.setattr(sys, "stdin", io.StringIO(ids_file.read_text()))
    assert invoke("tokenize", "decode", tokenizer, "-").stdout.strip() == "to be"


def test_text_too_long_for_a_file_name_is_text(tokenizer, tmp_path):
    """A word longer than a file name may be (255 bytes) is text for both commands that take
    TEXT|FILE, never an 'File name too long' error."""
    word = "abcab" * 80
    assert len(_ids(invoke("tokenize", "encode", tokenizer, word, "--json"))) == len(word)
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ("abc", "bca", "cab") * 10))
    model = tmp_path / "s2s.safetensors"
    done = invoke("seq2seq", "train", pairs, "--hidden", "8", "--layers", "1", "--steps", "1",
                  "--out", model, "-q")
    assert done.returncode == 0, done.stderr
    done = invoke("seq2seq", "translate", model, word, "--max-len-a", "0", "--max-len-b", "2")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
