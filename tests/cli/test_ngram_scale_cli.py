"""`seqlab ngram train --memory` and `--cluster` write the in-memory model's ARPA file."""

from __future__ import annotations

import importlib.util

import pytest
from cli_helpers import run


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    lines = [f"line {i} about the {'cat' if i % 3 else 'dog'} and {i % 7} mats ." for i in
             range(300)]
    (folder / "a.txt").write_text("\n".join(lines[:150]), encoding="utf-8")
    (folder / "b.txt").write_text("\n\n".join(lines[150:]) + "\n", encoding="utf-8")
    return folder


def _reference_arpa(folder, path, order):
    from seqlab.nlp import corpora, ngram
    from seqlab.nlp.ngram.sentences import LineTokens

    tokens = LineTokens("word")
    sentences = [s for s in map(tokens, corpora.iter_lines(folder)) if s]
    model = ngram.KneserNey(order).fit(sentences)
    model.tokenization = tokens.recorded()  # as the CLI records it
    model.save_arpa(path)
    return path.read_bytes()


def test_a_tiny_memory_budget_writes_the_in_memory_arpa(tmp_path, corpus):
    out = tmp_path / "small.arpa"
    done = run("ngram", "train", str(corpus), "--order", "4", "--memory", "4K", "--out",
               str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == _reference_arpa(corpus, tmp_path / "ref.arpa", 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.arpa", "small.arpa", "texts"]


def test_bad_memory_sizes_fail_cleanly(tmp_path, corpus):
    for size in ("lots", "12Q", "10"):
        done = run("ngram", "train", str(corpus), "--memory", size, "--out",
                   str(tmp_path / "x.arpa"))
        assert done.returncode == 2 and "--memory" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                    reason="Dask is not installed (extra seqlab-nlp[distributed])")
def test_cluster_of_two_local_workers_writes_the_same_arpa(tmp_path, corpus):
    out = tmp_path / "cluster.arpa"
    # a tiny budget: workers spill sorted runs, and Kneser-Ney is estimated streamed on disk
    done = run("ngram", "train", str(corpus), "--order", "3", "--cluster", "local:2",
               "--memory", "4K", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == _reference_arpa(corpus, tmp_path / "ref.arpa", 3)


def test_cluster_refuses_stdin_and_bad_worker_counts(tmp_path, corpus):
    done = run("ngram", "train", "--cluster", "local:2", "--out", str(tmp_path / "x.arpa"))
    assert done.returncode != 0 and "--cluster needs corpus files" in done.stderr
    if importlib.util.find_spec("distributed") is not None:
        done = run("ngram", "train", str(corpus), "--cluster", "local:zero", "--out",
                   str(tmp_path / "x.arpa"))
        assert done.returncode != 0 and "local:N" in done.stderr, done.stderr


def test_the_memory_budget_really_spills_runs_to_disk(tmp_path, corpus, monkeypatch):
    from inprocess import invoke

    from seqlab.nlp.ngram import external

    spilled = []
    spill = external.ExternalCounter.spill

    def counting_spill(self):
        spilled.append(len(self.buffer))
        spill(self)

    monkeypatch.setattr(external.ExternalCounter, "spill", counting_spill)
    small, large = tmp_path / "small.arpa", tmp_path / "large.arpa"
    assert invoke("ngram", "train", corpus, "--order", "4", "--memory", "4K", "--out",
                  small).returncode == 0
    assert sum(1 for count in spilled if count) >= 3  # several sorted runs on disk
    spilled.clear()
    assert invoke("ngram", "train", corpus, "--order", "4", "--memory", "1G", "--out",
                  large).returncode == 0
    assert not any(spilled)  # a roomy budget counts in memory
    assert small.read_bytes() == large.read_bytes()


def test_whitespace_level_counts_str_split_tokens_as_lmplz_does(tmp_path):
    from seqlab.nlp import ngram

    text = "the cat, sat.\n\n  a  dog\tsat .\nthe cat, sat .\n"
    (tmp_path / "c.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "ws.arpa"
    done = run("ngram", "train", str(tmp_path / "c.txt"), "--order", "3", "--level",
               "whitespace", "--memory", "4K", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    sentences = [line.split() for line in text.splitlines() if line.split()]
    model = ngram.KneserNey(3).fit(sentences)
    model.tokenization = {"level": "whitespace", "lowercase": False}  # as the CLI records it
    model.save_arpa(tmp_path / "ref.arpa")
    assert out.read_bytes() == (tmp_path / "ref.arpa").read_bytes()
    assert "cat," in ngram.load_arpa(out).vocab  # punctuation stays on its word
    done = run("ngram", "train", str(tmp_path / "c.txt"), "--level", "words", "--out",
               str(tmp_path / "x.arpa"))
    assert done.returncode == 2 and "--level" in done.stderr and "Traceback" not in done.stderr
