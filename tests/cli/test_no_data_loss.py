"""No command may destroy a user's file: --out that is an input, an unrelated existing file,
a full disk or a read-only folder each end in one line, and every file stays byte-identical."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest
import safetensors.numpy
from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke, small_filesystem, snapshot


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    return tmp_path


def refused_and_untouched(folder, args, *words, code=1):
    before = snapshot(folder)
    done = invoke(*args)
    assert_one_line_failure(done, *words, code=code)
    assert snapshot(folder) == before
    return done


def test_out_that_is_the_input_under_another_name(folder):
    corpus = folder / "corpus.txt"
    os.link(corpus, folder / "hard.arpa")
    (folder / "soft.json").symlink_to(corpus)
    (folder / "texts.vec").write_text(CORPUS)
    refused_and_untouched(folder, ["ngram", "train", corpus, "--out", folder / "hard.arpa"],
                          "input")
    refused_and_untouched(folder, ["tokenize", "train", corpus, "--out", folder / "soft.json"],
                          "input")
    refused_and_untouched(folder, ["word2vec", "train", folder / "texts.vec", "--min-count", "1",
                                   "--out", folder / "texts.vec"], "input")


def test_out_inside_an_input_folder_is_refused(folder):
    (folder / "old.arpa").write_text("\\data\\\nngram 1=1\n\n\\1-grams:\n-1 a\n\n\\end\\\n")
    refused_and_untouched(folder, ["ngram", "train", folder, "--out", folder / "old.arpa"],
                          "input folder")


def test_existing_files_of_another_kind_are_refused(folder):
    (folder / "notes.arpa").write_text("my notes, not a model\n")
    (folder / "data.json").write_text(json.dumps({"my": "settings"}))
    (folder / "vectors.txt").write_text("a diary\n")
    safetensors.numpy.save_file({"w": np.ones(3, np.float32)}, str(folder / "theirs.safetensors"))
    corpus = folder / "corpus.txt"
    refused_and_untouched(folder, ["ngram", "train", corpus, "--out", folder / "notes.arpa"],
                          "--force")
    refused_and_untouched(folder, ["tokenize", "train", corpus, "--out", folder / "data.json"],
                          "seqlab did not write it")
    refused_and_untouched(folder, ["word2vec", "train", corpus, "--out", folder / "vectors.txt"],
                          "already exists")
    refused_and_untouched(folder, ["train", corpus, "--steps", "1", *TINY,
                                   "--out", folder / "theirs.safetensors"], "seqlab did not")
    refused_and_untouched(folder, ["demo", "--seconds", "1",
                                   "--out", folder / "theirs.safetensors"], "already exists")


def test_foreign_file_beside_a_checkpoint_is_refused(folder):
    (folder / "model.metrics.jsonl").write_text("my own log\n")
    refused_and_untouched(folder, ["train", folder / "corpus.txt", "--steps", "1", *TINY,
                                   "--out", folder / "model.safetensors"], "metrics.jsonl")


def test_converting_onto_the_source_is_refused(folder):
    arpa = folder / "lm.arpa"
    assert invoke("ngram", "train", folder / "corpus.txt", "--out", arpa).returncode == 0
    refused_and_untouched(folder, ["ngram", "export-arpa", arpa, arpa], "input")
    vectors = folder / "v.txt"
    assert invoke("word2vec", "train", folder / "corpus.txt", "--dim", "4", "--min-count", "1",
                  "--epochs", "1", "--out", vectors).returncode == 0
    refused_and_untouched(folder, ["word2vec", "export", vectors, vectors], "input")


def test_same_kind_is_replaced_and_force_overwrites(folder):
    corpus, tokenizer = folder / "corpus.txt", folder / "tok.json"
    for level in ("char", "word"):
        if level == "word":
            first = tokenizer.read_bytes()
        done = invoke("tokenize", "train", corpus, "--level", level, "--out", tokenizer)
        assert done.returncode == 0, done.stderr
    assert tokenizer.read_bytes() != first  # a rerun replaces its own kind of file
    other = folder / "other.json"
    other.write_text("{}")
    assert invoke("tokenize", "train", corpus, "--out", other, "--force").returncode == 0
    assert json.loads(other.read_text())["type"] == "bpe"


@pytest.mark.parametrize("args,words,code", [
    (["tokenize", "train", "CORPUS", "--out", "DIR/bpe.txt"], [".json"], 2),
    (["ngram", "train", "CORPUS", "--out", "DIR/lm.arpa.gz"], [".arpa"], 2),
    (["train", "CORPUS", "--out", "DIR/m.train.safetensors"], ["training state"], 2),
    (["word2vec", "train", "CORPUS", "--out", "DIR/no/such/v.txt"], ["does not exist"], 1),
    (["ngram", "train", "CORPUS", "--out", "DIR"], [".arpa"], 2),
])
def test_bad_out_paths(folder, args, words, code):
    args = [str(folder / "corpus.txt") if a == "CORPUS" else a.replace("DIR", str(folder))
            for a in args]
    refused_and_untouched(folder, args, *words, code=code)


def test_read_only_folder_is_refused_before_work(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS)
    with small_filesystem(tmp_path / "ro", "64k", read_only=True) as read_only:
        done = invoke("ngram", "train", corpus, "--out", read_only / "lm.arpa")
        assert_one_line_failure(done, "cannot write", code=1)


def _wide_corpus(path, words=4000):
    rng = random.Random(0)
    vocabulary = ["".join(rng.choice("abcdefghij") for _ in range(8)) for _ in range(words)]
    path.write_text("\n".join(" ".join(rng.choice(vocabulary) for _ in range(12))
                              for _ in range(words)) + "\n")


def test_full_disk_leaves_the_previous_model_whole(tmp_path):
    small, big = tmp_path / "small.txt", tmp_path / "big.txt"
    small.write_text("a b c\n")
    _wide_corpus(big)
    with small_filesystem(tmp_path / "disk", "96k") as disk:
        arpa, npz = disk / "lm.arpa", disk / "lm.npz"
        for path in (arpa, npz):
            assert invoke("ngram", "train", small, "--out", path).returncode == 0
        before = snapshot(disk)
        for path in (arpa, npz):
            done = invoke("ngram", "train", big, "--order", "3", "--out", path)
            assert_one_line_failure(done, "no space left", str(path), code=1)
            assert snapshot(disk) == before  # old models intact, no temp file left behind
        assert invoke("ngram", "eval", arpa, small).returncode == 0


def test_full_disk_during_checkpoint_save(tmp_path, trained_model):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS)
    with small_filesystem(tmp_path / "disk", "256k") as disk:
        model = disk / "m.safetensors"
        model.write_bytes(trained_model.read_bytes())
        before = snapshot(disk)
        args = list(TINY)
        args[args.index("--hidden") + 1] = "200"
        done = invoke("train", corpus, "--steps", "1", *args, "--out", model)
        assert_one_line_failure(done, "no space left", code=1)
        after = snapshot(disk)
        assert after["m.safetensors"] == before["m.safetensors"]
        assert not [name for name in after if name.endswith(".tmp")]


DATASETS = {  # a command that reads a user's data file, and a small such file
    "classify": ("data.csv", "label,text\npos,good film\nneg,bad film\n" * 4),
    "forecast": ("series.csv", "t,value\n" + "".join(f"{i},{i % 5}\n" for i in range(40))),
    "seq2seq": ("pairs.tsv", "ab\tba\ncd\tdc\n" * 4),
}


@pytest.mark.parametrize("command", sorted(DATASETS))
def test_dataset_commands_never_write_over_their_input_or_a_foreign_file(folder, command):
    name, text = DATASETS[command]
    data = folder / name
    data.write_text(text)
    os.link(data, folder / "linked.safetensors")
    refused_and_untouched(folder, [command, "train", data, "--out",
                                   folder / "linked.safetensors"], "input")
    safetensors.numpy.save_file({"w": np.ones(3, np.float32)}, str(folder / "theirs.safetensors"))
    refused_and_untouched(folder, [command, "train", data, "--out",
                                   folder / "theirs.safetensors"], "seqlab did not")
    (folder / "theirs.safetensors").unlink()
    (folder / "model.metrics.jsonl").write_text("my own log\n")
    refused_and_untouched(folder, [command, "train", data, "--out", folder / "model.safetensors"],
                          "metrics.jsonl")
