"""stdin ('-') is streamed, never read whole: `train`, `word2vec train` and `tokenize train`
copy it beside their scratch files and give the same result as from a file (and leave no
copy behind); `classify predict` classifies it a batch of lines at a time, with the same lines,
line numbers and labels as the whole-text reading had."""

from __future__ import annotations

import functools
import io
import json
import sys

import numpy as np
import pytest

from tests.cli.inprocess import invoke

WORDS = ["the", "cat", "naïve", "café", "日本", "sat", "on", "mat", "and", "dog"]


def corpus_bytes(lines: int = 400, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    text = "".join(" ".join(WORDS[i] for i in rng.integers(0, len(WORDS), 8))
                   + ("\r\n" if n % 4 == 0 else "\n") for n in range(lines))
    return (text + "no final newline").encode("utf-8")


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_bytes(corpus_bytes())
    return path


def feed_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def hidden_copies(folder) -> list:
    return [p for p in folder.rglob(".stdin-*")]


def test_train_from_stdin_equals_train_from_the_file(corpus, tmp_path, monkeypatch):
    from safetensors.numpy import load_file

    options = ["--level", "word", "--steps", "3", "--hidden", "8", "--layers", "1",
               "--seq-len", "8", "--batch-size", "4", "--quiet", "--json"]
    from_file = invoke("train", corpus, *options, "--out", tmp_path / "file.safetensors")
    assert from_file.returncode == 0, from_file.stderr
    feed_stdin(monkeypatch, corpus.read_bytes())
    from_stdin = invoke("train", "-", *options, "--out", tmp_path / "stdin.safetensors")
    assert from_stdin.returncode == 0, from_stdin.stderr
    a, b = (load_file(tmp_path / f"{n}.safetensors") for n in ("file", "stdin"))
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert json.loads(from_file.stdout)["train_loss"] == json.loads(from_stdin.stdout)["train_loss"]
    assert not hidden_copies(tmp_path)


def test_word2vec_from_stdin_equals_the_file(corpus, tmp_path, monkeypatch):
    options = ["--dim", "8", "--epochs", "2", "--workers", "1", "--min-count", "1", "--quiet"]
    done = invoke("word2vec", "train", corpus, *options, "--out", tmp_path / "file.txt")
    assert done.returncode == 0, done.stderr
    feed_stdin(monkeypatch, corpus.read_bytes())
    done = invoke("word2vec", "train", "-", *options, "--out", tmp_path / "stdin.txt")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "file.txt").read_bytes() == (tmp_path / "stdin.txt").read_bytes()
    assert not hidden_copies(tmp_path) and not list(tmp_path.glob(".*ids-*"))


@pytest.mark.parametrize("level", ["bpe", "word", "char"])
def test_tokenize_train_from_stdin_equals_the_file(corpus, tmp_path, monkeypatch, level):
    options = ["--level", level, "--vocab-size", "300", "--quiet"]
    assert invoke("tokenize", "train", corpus, *options, "--out", tmp_path / "a.json"
                  ).returncode == 0
    feed_stdin(monkeypatch, corpus.read_bytes())
    done = invoke("tokenize", "train", "-", *options, "--out", tmp_path / "b.json")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    assert not hidden_copies(tmp_path)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clf")
    rng = np.random.default_rng(0)
    rows = [(label, " ".join([*rng.choice(WORDS, 4), word]))
            for label, words in (("pos", ["good", "great"]), ("neg", ["bad", "awful"]))
            for word in rng.choice(words, 20)]
    (folder / "data.csv").write_text("label,text\n" + "".join(f"{a},{b}\n" for a, b in rows))
    out = folder / "clf.safetensors"
    done = invoke("classify", "train", folder / "data.csv", "--epochs", "1", "--hidden", "8",
                  "--embedding-dim", "6", "--batch-size", "8", "--quiet", "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def predict_text() -> str:
    """Over two batches of lines, with every line break `str.splitlines` knows (only "\n"
    and "\r\n" end a line), blank lines and no final newline."""
    rng = np.random.default_rng(1)
    breaks = ["\n", "\r\n", "\r", "\u2028", "\x0c", "\n\n", "\n  \n"]
    return "".join(" ".join(rng.choice([*WORDS, "good", "bad"], 5)) + breaks[n % len(breaks)]
                   for n in range(700)) + "good last"


def test_predict_streams_lines_as_the_whole_text_reading(classifier, tmp_path, monkeypatch):
    from seqlab.cli.classify_models import class_probabilities, load_classifier
    from seqlab.nlp import corpora

    text = predict_text()
    path = tmp_path / "in.txt"
    path.write_bytes(text.encode("utf-8"))
    loaded = load_classifier(classifier)
    every_line = [line.removesuffix("\r") for line in text.split("\n")]  # no final "\n"
    lines = [(n, line) for n, line in enumerate(every_line, start=1) if line.strip()]
    labels = [loaded.labels[c] for c in
              class_probabilities(loaded, [line for _, line in lines]).argmax(axis=1)]
    expected = [{"input": f"{path}:{n}", "label": label}
                for (n, _), label in zip(lines, labels, strict=True)]

    monkeypatch.setattr(corpora, "iter_lines",  # chunks of 5 bytes: lines cross borders
                        functools.partial(corpora.reading.iter_lines, chunk_bytes=5))
    done = invoke("classify", "predict", classifier, path, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["predictions"] == expected

    feed_stdin(monkeypatch, path.read_bytes())
    done = invoke("classify", "predict", classifier, "-")
    assert done.returncode == 0, done.stderr
    # a blank line gets an empty one: output line N is input line N's
    by_line = dict(zip((n for n, _ in lines), labels, strict=True))
    assert done.stdout.split("\n")[:-1] == [by_line.get(n, "") for n in
                                             range(1, len(every_line) + 1)]


def test_predict_json_stopped_by_bad_input_is_still_one_json_object(classifier, tmp_path,
                                                                     monkeypatch):
    """Predictions stream out a batch at a time; an undecodable byte after the first batch
    ends the object with an "error" field (and the usual one-line error and exit code)."""
    from seqlab.nlp import corpora
    from tests.cli.inprocess import assert_one_line_failure

    monkeypatch.setattr(corpora, "iter_lines",  # small chunks: the bad byte comes late
                        functools.partial(corpora.reading.iter_lines, chunk_bytes=64))
    path = tmp_path / "in.txt"
    path.write_bytes(("a good film\n" * 300).encode() + b"bad \xff byte\n")
    done = invoke("classify", "predict", classifier, path, "--json")
    assert_one_line_failure(done, "utf-8")
    result = json.loads(done.stdout)
    assert len(result["predictions"]) >= 256 and "utf-8" in result["error"].lower()


def test_predict_of_blank_stdin_gives_as_many_blank_lines(classifier, monkeypatch):
    """No text is no error (zero lines in, zero out, as `sort` and seq2seq translate do):
    each blank line gets a blank line, and the exit status is 0."""
    feed_stdin(monkeypatch, b"\n \r\n")
    done = invoke("classify", "predict", classifier, "-")
    assert (done.returncode, done.stdout, done.stderr) == (0, "\n\n", "")
