"""Fixtures for the end-to-end tests: a small corpus and a tiny trained model."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cli_helpers import CORPUS, TINY, run


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "small.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, corpus_file) -> Path:
    out = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    done = run("train", str(corpus_file), "--steps", "12", "--out", str(out), *TINY)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(autouse=True)
def _no_allocator_policy(monkeypatch):
    """Commands run in process here: the glibc policy a command sets for its own process
    (`seqlab.autograd.memory`) must not carry over into the tests that follow (`main` puts
    the thresholds back, but glibc's dynamic threshold, once off, stays off)."""
    from seqlab.autograd import memory

    monkeypatch.setattr(memory, "_mallopt", lambda parameter, value: False)


@pytest.fixture(scope="module")
def bpe(tmp_path_factory) -> Path:
    """A small byte-level BPE tokenizer (270 tokens) for encode/decode round trips."""
    from inprocess import invoke

    folder = tmp_path_factory.mktemp("bpe")
    (folder / "corpus.txt").write_text("one two three\ntwo one\n" * 20)
    path = folder / "bpe.json"
    done = invoke("tokenize", "train", folder / "corpus.txt", "--level", "bpe",
                  "--vocab-size", "270", "--out", path)
    assert done.returncode == 0, done.stderr
    return path
