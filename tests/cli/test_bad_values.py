"""Bad values and hostile files through the real commands: each ends in one line on stderr with
the right exit code, in bounded time and memory, and leaves every file byte-identical."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.autograd import io


def _write(folder, name, content):
    path = folder / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


def _checkpoint_with(folder, name, trained_model, change):
    """A copy of the trained checkpoint whose header `change(header)` edited."""
    state, header = io.load(trained_model)
    change(header)
    io.save(folder / name, state, header)


def _oversized_header(folder, name):
    path = folder / name
    with path.open("wb") as file:  # sparse: claims 90 MB of header without writing it
        file.write(struct.pack("<Q", 90_000_000) + b"{")
        file.truncate(90_000_010)


def _setup(folder, trained_model):
    _write(folder, "corpus.txt", CORPUS)
    _write(folder, "latin.txt", "caf\xe9 au lait, encore une fois\n".encode("latin-1") * 40)
    _write(folder, "huge.vec", "1000000000000 100\nking 1.0 2.0\n")
    _write(folder, "wide.vec", "2 1000000000\nking 1.0 2.0\n")
    _write(folder, "small.vec", "2 3\nking 1 0 0\nqueen 0 1 0\n")
    _write(folder, "small.bin", b"2 3\nking " + np.ones(3, "<f4").tobytes()
           + b"queen " + np.array([0, 1, 0], "<f4").tobytes())
    _write(folder, "cut.npz", b"PK\x03\x04" + b"\x00" * 40)
    word = {"type": "word", "version": 1, "lowercase": False, "pattern": "(a|aa)+$",
            "vocab": {"type": "vocabulary", "version": 1, "tokens": ["<pad>", "<unk>", "<s>",
                                                                     "</s>", "a"]}}
    _write(folder, "slow.json", json.dumps(word))
    _write(folder, "future.json", json.dumps({**word, "pattern": r"\w+", "version": 99}))
    _write(folder, "loop.json", json.dumps({"type": "bpe", "version": 1, "merges": [[260, 4]]}))
    _checkpoint_with(folder, "wide.safetensors", trained_model,
                     lambda h: h["config"].update(hidden_size=10**6))
    _checkpoint_with(folder, "listconfig.safetensors", trained_model,
                     lambda h: h.update(config=[1, 2]))
    _checkpoint_with(folder, "noconfig.safetensors", trained_model, lambda h: h.pop("config"))
    _oversized_header(folder, "bighead.safetensors")


CASES = [
    # NaN and infinities, negative seeds: refused before any work (usage errors, exit 2)
    (["train", "corpus.txt", "--lr", "nan"], 2, ["--lr", "finite"]),
    (["generate", "MODEL", "--temperature", "nan"], 2, ["--temperature", "finite"]),
    (["ngram", "train", "corpus.txt", "--k", "inf", "--out", "lm.arpa"], 2, ["--k"]),
    (["word2vec", "train", "corpus.txt", "--sample", "-inf"], 2, ["--sample"]),
    (["demo", "--seconds", "inf"], 2, ["--seconds"]),
    (["generate", "MODEL", "--top-p", "nan"], 2, ["--top-p"]),
    (["train", "corpus.txt", "--seed", "-1"], 2, ["--seed", "negative"]),
    (["ngram", "generate", "MODEL", "--seed", "-7"], 2, ["--seed"]),
    # vocabularies too small for the special tokens (and BPE's 256 bytes)
    (["tokenize", "train", "corpus.txt", "--level", "word", "--vocab-size", "3",
      "--out", "t.json"], 2, ["--vocab-size", "at least 5"]),
    (["tokenize", "train", "corpus.txt", "--level", "bpe", "--vocab-size", "100",
      "--out", "t.json"], 2, ["at least 260"]),
    (["train", "corpus.txt", "--level", "word", "--vocab-size", "2", "--steps", "1"], 2,
     ["--vocab-size"]),
    # sizes read from files are checked against the file before allocating
    (["word2vec", "similar", "huge.vec", "king"], 1, ["header", "truncated"]),
    (["word2vec", "similar", "wide.vec", "king"], 1, ["dimension 1000000000"]),
    (["info", "wide.safetensors"], 1, ["hidden_size=1000000"]),
    (["generate", "wide.safetensors"], 1, ["hidden_size"]),
    (["info", "bighead.safetensors"], 1, ["header"]),
    (["info", "listconfig.safetensors"], 1, ["config", "list"]),
    (["eval", "noconfig.safetensors", "corpus.txt"], 1, ["no 'config'"]),
    # device files are not models
    (["generate", "/dev/zero"], 1, ["not a regular file"]),
    (["info", "/dev/zero"], 1, ["not a regular file"]),
    (["word2vec", "similar", "/dev/zero", "king"], 1, ["not a regular file"]),
    # word2vec text given as binary (and the reverse) is detected, not read as garbage
    (["word2vec", "similar", "small.vec", "king", "--binary"], 1, ["text format"]),
    (["word2vec", "similar", "small.bin", "king", "--text"], 1, ["binary format"]),
    # tokenizers: runaway patterns, future versions, self-referencing merges
    # (cut off by the matcher's timeout: the message names the 1 s bound it was given)
    (["tokenize", "encode", "slow.json", "a" * 40 + "!"], 1,
     ["pattern", "ran for more than 1.0 s on 41 characters", "backtracks"]),
    (["tokenize", "encode", "future.json", "hello"], 1, ["version 99", "upgrade"]),
    (["tokenize", "encode", "loop.json", "hello"], 1, ["merge 0"]),
    # a damaged zip, undecodable text (the message names the option that helps)
    (["ngram", "eval", "cut.npz", "corpus.txt"], 1, ["cut.npz"]),
    (["ngram", "train", "latin.txt", "--out", "lm.arpa"], 1, ["byte offset", "--errors replace"]),
]


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory, trained_model):
    folder = tmp_path_factory.mktemp("hostile")
    _setup(folder, trained_model)
    return folder


@pytest.mark.parametrize("args,code,words", CASES, ids=[" ".join(c[0])[:40] for c in CASES])
def test_bad_value_is_one_line_and_changes_nothing(hostile_folder, trained_model, args, code,
                                                   words, monkeypatch):
    monkeypatch.chdir(hostile_folder)
    args = [str(trained_model) if a == "MODEL" else a for a in args]
    before = snapshot(hostile_folder)
    done = invoke(*args)
    # Bounded time without a clock (a loaded machine makes a timed assert flaky): each case's
    # words name the guard that refused it before the work (a usage error, a size checked
    # against the file, not a regular file, the pattern's timeout), and a case that did the
    # work instead would hang or fail here, not pass slowly.
    assert_one_line_failure(done, *words, code=code)
    assert snapshot(hostile_folder) == before


def test_errors_replace_reads_what_strict_refuses(hostile_folder, monkeypatch):
    monkeypatch.chdir(hostile_folder)
    done = invoke("--errors", "replace", "ngram", "train", "latin.txt", "--out", "latin.arpa")
    assert done.returncode == 0, done.stderr
    assert "\ufffd" in (hostile_folder / "latin.arpa").read_text(encoding="utf-8")
    (hostile_folder / "latin.arpa").unlink()


@pytest.mark.parametrize("command,out", [
    (["tokenize", "train", "latin.txt", "--level", "char"], "latin.json"),
    (["word2vec", "train", "latin.txt", "--min-count", "1", "--epochs", "1"], "latin.vec"),
])
def test_errors_replace_reaches_the_streamed_readers(hostile_folder, monkeypatch, command, out):
    monkeypatch.chdir(hostile_folder)
    assert invoke(*command, "--out", out).returncode != 0  # strict: refused
    done = invoke("--errors", "replace", *command, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "\ufffd" in (hostile_folder / out).read_text(encoding="utf-8")
    (hostile_folder / out).unlink()


def test_word2vec_format_is_detected_without_flags(hostile_folder, monkeypatch):
    monkeypatch.chdir(hostile_folder)
    for name in ("small.vec", "small.bin"):
        done = invoke("word2vec", "similar", name, "king", "--topn", "1", "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["similar"][0]["word"] == "queen"


def test_beam_wider_than_the_vocabulary_is_capped_with_a_warning(trained_model):
    done = invoke("generate", trained_model, "--beam", "100000", "--length", "4")
    assert done.returncode == 0, done.stderr
    assert "using --beam" in " ".join(done.stderr.split()) and done.stdout.strip()
