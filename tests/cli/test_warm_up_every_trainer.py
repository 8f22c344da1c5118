"""Every training command compiles its step's kernels before the --time-budget clock starts
(qaA s22, item 4: `seq2seq train`, `classify train` and `forecast train` spent a 30 s budget
compiling on a cold Numba cache and saved a model after 1 step, with exit 0; only `train`
warmed up). The warm-up is one helper (`kernel_warm_up.warm_up_run`) that `run_trainer` calls
for every head; these tests check each command reaches it with the run's own trainer before
its clock starts, and that the warm-up of a shuffled example source (classifier, regressor,
seq2seq) leaves the run exactly as a cold one trains."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import TINY
from inprocess import invoke


def _pairs(folder):
    pairs = folder / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ("abc", "bca", "cab", "aab") * 10))
    return pairs


def _reviews(folder):
    reviews = folder / "reviews.csv"
    reviews.write_text("text,label\n" + "good film,pos\nbad film,neg\n" * 20)
    return reviews


COMMANDS = {
    "train": lambda folder, corpus: ("train", corpus, "--steps", "1", *TINY),
    "classify": lambda folder, corpus: ("classify", "train", _reviews(folder), "--level", "char",
                                        "--hidden", "4", "--steps", "1", "-q"),
    "seq2seq": lambda folder, corpus: ("seq2seq", "train", _pairs(folder), "--hidden", "8",
                                       "--layers", "1", "--steps", "1", "-q"),
    "forecast": lambda folder, corpus: ("forecast", "train", "--hidden", "8", "--steps", "1",
                                        "-q"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_training_command_warms_up_before_its_clock(command, tmp_path, corpus_file,
                                                         monkeypatch):
    from seqlab.cli import kernel_warm_up

    seen = []
    warm_up_step = kernel_warm_up.warm_up_step

    def spy(trainer):
        # the clock: Trainer.fit sets _started; elapsed is what a --time-budget counts
        seen.append((trainer, trainer._started, trainer.elapsed, trainer.step))
        warm_up_step(trainer)

    monkeypatch.setattr(kernel_warm_up, "warm_up_step", spy)
    out = tmp_path / "m.safetensors"
    done = invoke(*COMMANDS[command](tmp_path, corpus_file), "--out", out)
    assert done.returncode == 0, done.stderr
    assert len(seen) == 1, seen
    trainer, started, elapsed, step = seen[0]
    assert (started, elapsed, step) == (None, 0.0, 0)
    assert trainer.step == 1  # the trainer warmed up is the one that trained and saved


def _classifier_trainer(warm: bool):
    from seqlab.autograd import optim
    from seqlab.cli.kernel_warm_up import warm_up_step
    from seqlab.seqmodels import SequenceClassifier, Trainer
    from seqlab.seqmodels.row_batches import RowBatches

    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 9, 40)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ids = rng.integers(1, 12, int(offsets[-1])).astype(np.int32)
    labels = rng.integers(0, 3, 40)
    train = RowBatches(ids, offsets, labels, 8, rows=np.arange(30), seed=1)
    valid = RowBatches(ids, offsets, labels, 8, rows=np.arange(30, 40), shuffle=False)
    model = SequenceClassifier(12, 6, 5, 3, num_layers=2, dropout=0.3, generator=0)
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), train, valid,
                      eval_every=2, max_steps=9)
    if warm:
        warm_up_step(trainer)
    return trainer


def test_a_warmed_up_classifier_run_trains_as_a_cold_one():
    """A shuffled source's first batch is read and put back (its state_dict), so the shuffle,
    the dropout draws and the weights go on exactly as in a run that was not warmed up."""
    cold, warm = _classifier_trainer(False), _classifier_trainer(True)
    assert warm.train_data.state_dict() == cold.train_data.state_dict()
    cold_result, warm_result = cold.fit(), warm.fit()
    assert [h["loss"] for h in warm_result.history] == [h["loss"] for h in cold_result.history]
    for a, b in zip(cold.model.parameters(), warm.model.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
