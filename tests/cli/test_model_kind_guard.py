"""A training run never replaces a checkpoint of another model kind (language model,
classifier, forecaster, seq2seq) or its training files without --force; the same kind is
replaced (a new run) as before."""

from __future__ import annotations

import random

import pytest
from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.cli import file_kinds

SMALL_CLS = ["--hidden", "8", "--embedding-dim", "8", "--epochs", "1", "--quiet"]
SMALL_FC = ["--series", "sunspots", "--hidden", "4", "--window", "6", "--steps", "2", "--quiet"]
SMALL_S2S = ["--hidden", "8", "--layers", "1", "--embedding-dim", "8", "--steps", "2",
             "--eval-every", "100", "--quiet"]


@pytest.fixture
def data(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    rng = random.Random(0)
    words = ["good", "bad", "fine", "ok"]
    rows = [f"{'pos' if i % 2 else 'neg'},{' '.join(rng.choice(words) for _ in range(5))}"
            for i in range(40)]
    (tmp_path / "cls.csv").write_text("label,text\n" + "\n".join(rows) + "\n")
    words = ["".join(rng.choice("abcd") for _ in range(rng.randint(1, 4))) for _ in range(60)]
    (tmp_path / "pairs.tsv").write_text("".join(f"{w}\t{w[::-1]}\n" for w in words))
    return tmp_path


def lm(d, out):
    return ["train", d / "corpus.txt", "--steps", "5", *TINY, "--out", out]


def classifier(d, out):
    return ["classify", "train", d / "cls.csv", *SMALL_CLS, "--out", out]


def forecaster(d, out):
    return ["forecast", "train", *SMALL_FC, "--out", out]


def seq2seq(d, out):
    return ["seq2seq", "train", d / "pairs.tsv", *SMALL_S2S, "--out", out]


@pytest.mark.parametrize("first, second, found, wanted", [
    (classifier, lm, "a classifier", "a language model"),
    (lm, classifier, "a language model", "a classifier"),
    (forecaster, seq2seq, "a forecaster", "a sequence-to-sequence model"),
    (seq2seq, forecaster, "a sequence-to-sequence model", "a forecaster"),
], ids=["train-over-classifier", "classify-over-lm", "seq2seq-over-forecaster",
        "forecast-over-seq2seq"])
def test_another_kind_is_refused_and_force_replaces(data, first, second, found, wanted):
    out = data / "m.safetensors"
    done = invoke(*first(data, out))
    assert done.returncode == 0, done.stderr
    before_model = file_kinds.checkpoint_model(out)
    assert (data / "m.train.safetensors").exists() and (data / "m.metrics.jsonl").exists()
    before = snapshot(data)
    refused = invoke(*second(data, out))
    assert_one_line_failure(refused, str(out), found, wanted, "--force", code=1)
    assert snapshot(data) == before  # model, training state, metrics log, checkpoints/
    forced = invoke(*second(data, out), "--force")
    assert forced.returncode == 0, forced.stderr
    after_model = file_kinds.checkpoint_model(out)
    assert after_model is not None and after_model != before_model


def test_same_kind_is_replaced_without_force(data):
    out = data / "m.safetensors"
    assert invoke(*classifier(data, out)).returncode == 0
    first = out.read_bytes()
    again = invoke(*classifier(data, out))
    assert again.returncode == 0, again.stderr
    assert out.read_bytes() != first
    assert file_kinds.checkpoint_model(out) == "SequenceClassifier"


def test_train_resume_of_a_classifier_names_its_kind_first(data):
    """qaA s22, item 10: `train --resume CLASSIFIER` suggested --force (the output check ran
    before the kind check), and with --force said it is a classifier. The kind comes first."""
    model = data / "sentiment.safetensors"
    assert invoke(*classifier(data, model)).returncode == 0
    before = snapshot(data)
    done = invoke("train", "--resume", model, "--steps", "1")
    assert_one_line_failure(done, "is a classifier", "use the command that trained it", code=1)
    assert "--force" not in done.stderr
    assert snapshot(data) == before
