"""QA round 16, `seqlab seq2seq`: over-long lines and pairs, impossible output lengths, and
arguments that look like missing files are refused in one line; nothing is written."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2s")
    pairs = folder / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ("abc", "bca", "cab", "aab") * 20))
    done = invoke("seq2seq", "train", pairs, "--hidden", "8", "--layers", "1", "--steps", "2",
                  "--out", folder / "m.safetensors", "-q")
    assert done.returncode == 0, done.stderr
    (folder / "long_pair.tsv").write_text("abc\tcba\n" + "a" * 5000 + "\t" + "b" * 10 + "\n")
    (folder / "long_line.txt").write_text("abc\n" + "a" * 5000 + "\n")
    (folder / "sub").mkdir()
    return folder


@pytest.mark.parametrize("args, words, code", [
    (["translate", "M", "abc", "--max-len-a", "0", "--max-len-b", "0"],
     ["--max-len-b", "--max-len-a"], 2),
    (["translate", "M", "abc", "--max-len-a", "-1"], ["--max-len-a"], 2),
    (["translate", "M", "F/nope.txt"], ["no such file", "nope.txt", "--text"], 1),
    (["translate", "M", "nope.txt"], ["no such file", "--text"], 1),
    (["translate", "M", "F/sub"], ["folder", "--text"], 1),
    (["translate", "M", "F/long_line.txt"], ["long_line.txt line 2", "5,000", "--max-length"],
     1),
    (["translate", "M", "F/long_line.txt", "--max-length", "6000", "--max-len", "10"],
     ["--max-len", "--max-length"], 2),
    (["eval", "M", "F/long_pair.tsv", "--beam", "1"], ["long_pair.tsv:2", "source", "--max-len"],
     1),
    (["train", "F/long_pair.tsv", "--hidden", "8", "--steps", "2", "--out", "F/new.safetensors"],
     ["long_pair.tsv:2", "5,000", "--max-len"], 1),
])
def test_refused_in_one_line(folder, args, words, code):
    before = snapshot(folder)
    args = [str(folder / "m.safetensors") if a == "M" else a.replace("F/", f"{folder}/")
            for a in args]
    done = invoke("seq2seq", *args)
    assert_one_line_failure(done, *words, code=code)
    assert done.stdout == ""
    assert snapshot(folder) == before


def test_text_option_and_plain_words_still_translate(folder):
    done = invoke("seq2seq", "translate", folder / "m.safetensors", "nope.txt", "--text")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
    done = invoke("seq2seq", "translate", folder / "m.safetensors", "abc")
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1, done.stderr
    for spelling in ("--max-length", "--max-len"):  # the old spelling still works
        done = invoke("seq2seq", "translate", folder / "m.safetensors", folder / "long_line.txt",
                      spelling, "6000", "--max-len-a", "0", "--max-len-b", "2")
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == 2
