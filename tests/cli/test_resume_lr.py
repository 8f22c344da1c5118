"""An --lr given with --resume applies (the resumed optimizer's rate no longer wins silently):
lowering it is what a diverged run is told to do. One info line says the change, in every
training command; without --lr the resumed run's rate stays."""

from __future__ import annotations

import pytest
from cli_helpers import CORPUS
from inprocess import invoke

import seqlab.seqmodels.trainer
from seqlab.cli.errors import CliError

WORDS = ["good film", "bad film", "fine plot", "dull plot"] * 5
TRAINING = {  # each training command on a few lines of data (forecast: its embedded series)
    "train": ["train", "{folder}/small.txt", "--hidden", "8", "--layers", "1"],
    "classify": ["classify", "train", "{folder}/reviews.csv"],
    "forecast": ["forecast", "train"],
    "seq2seq": ["seq2seq", "train", "{folder}/pairs.tsv"],
}


def _stop_at_fit(monkeypatch):
    """The learning rates the resumed runs' Trainer would train at (each stops right there)."""
    seen = []

    def fit(self):
        seen.append([group["lr"] for group in self.optimizer.param_groups])
        raise CliError("stopped by the test")

    monkeypatch.setattr(seqlab.seqmodels.trainer.Trainer, "fit", fit)
    return seen


def _first_run(name, tmp_path):
    (tmp_path / "small.txt").write_text(CORPUS, encoding="utf-8")
    (tmp_path / "reviews.csv").write_text(
        "label,text\n" + "".join(f"{'pos' if i % 2 == 0 else 'neg'},{text}\n"
                                  for i, text in enumerate(WORDS)), encoding="utf-8")
    (tmp_path / "pairs.tsv").write_text("".join(f"{text}\t{text[::-1]}\n" for text in WORDS),
                                        encoding="utf-8")
    out = tmp_path / "m.safetensors"
    args = [arg.format(folder=tmp_path) for arg in TRAINING[name]]
    done = invoke(*args, "--steps", "1", "--lr", "0.004", "-q", "--out", out)
    assert done.returncode == 0, done.stderr
    return [*TRAINING[name][: 2 if name != "train" else 1], "--resume", out, "--steps", "3"]


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_an_lr_given_on_resume_applies_and_is_said(tmp_path, monkeypatch, name):
    resume = _first_run(name, tmp_path)
    fit_rate = _stop_at_fit(monkeypatch)
    done = invoke(*resume)
    assert "stopped by the test" in done.stderr and "learning rate" not in done.stderr
    kept = fit_rate.pop()
    done = invoke(*resume, "--lr", "0.0005")
    assert "learning rate 0.0005 (was 0.004 in the resumed run)" in done.stderr, done.stderr
    # the rate scales with the base (seq2seq's schedule goes on where it was)
    assert fit_rate.pop() == pytest.approx([lr * 0.0005 / 0.004 for lr in kept], rel=1e-12)
