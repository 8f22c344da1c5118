"""One Trainer for every head: the classifier and the regressor train, evaluate, stop early and
resume exactly (a stopped and resumed run gives the uninterrupted run's losses step for step)."""

import numpy as np
import pytest

from seqlab.autograd.optim import Adam
from seqlab.autograd.optim.lr_scheduler import StepLR
from seqlab.seqmodels.batches import ExampleBatches
from seqlab.seqmodels.checkpoint import load_model
from seqlab.seqmodels.classifier import SequenceClassifier, macro_f1
from seqlab.seqmodels.regressor import SequenceRegressor, make_windows
from seqlab.seqmodels.trainer import Callback, Trainer


class Losses(Callback):
    def __init__(self):
        self.losses, self.evals = [], []

    def on_step(self, metrics):
        self.losses.append(metrics["loss"])

    def on_eval(self, metrics):
        self.evals.append(metrics)


def parity_data(count=90, seed=0):
    """Label = whether token 3 occurs in the sequence: needs the whole sequence, not its end."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 9, size=count)
    tokens = np.zeros((count, 8), dtype=np.int64)
    for row, length in enumerate(lengths):
        tokens[row, :length] = rng.integers(1, 6, size=length)
    labels = np.array([int(3 in tokens[row, :length]) for row, length in enumerate(lengths)])
    return tokens, lengths, labels


def classifier(seed=0):
    return SequenceClassifier(6, 5, 8, 2, cell="gru", pooling="max", dropout=0.2,
                              generator=seed)


def regressor(seed=0):
    return SequenceRegressor(1, 8, horizon=2, cell="lstm", generator=seed)


def series_windows():
    series = np.sin(np.arange(160) * 2 * np.pi / 23) + 0.2 * np.sin(np.arange(160) * 0.7)
    return make_windows(series, window=10, horizon=2)


HEADS = {
    "classifier": (classifier, lambda: parity_data(), 16),
    "regressor": (regressor, series_windows, 24),
}


def make_trainer(head, tmp_path, max_steps, recorder, seed=0, data_seed=0):
    build, data, batch = HEADS[head]
    model = build(seed)
    optimizer = Adam(model.parameters(), lr=0.02)
    arrays = data()
    return Trainer(model, optimizer, ExampleBatches(arrays, batch, seed=data_seed),
                   ExampleBatches(arrays, 32, shuffle=False), eval_every=4,
                   scheduler=StepLR(optimizer, step_size=5, gamma=0.8), clip_norm=1.0,
                   max_steps=max_steps, checkpoint_dir=tmp_path, callbacks=[recorder],
                   metadata={"head": head})


@pytest.mark.parametrize("head", ["classifier", "regressor"])
def test_resume_continues_exactly(tmp_path, head):
    # 6 (classifier) or 7 (regressor) batches per epoch: the resume lands mid-epoch
    straight = Losses()
    make_trainer(head, tmp_path / "straight", 17, straight).fit()
    first = Losses()
    stopped = make_trainer(head, tmp_path / "split", 9, first).fit()
    second = Losses()
    # other initial weights and other data/generator seeds: everything must come from the file
    trainer = make_trainer(head, tmp_path / "split", 17, second, seed=5, data_seed=7)
    trainer.resume(stopped.checkpoint)
    assert trainer.metadata == {"head": head}
    trainer.fit()
    assert len(first.losses) == 9 and len(second.losses) == 8
    assert first.losses + second.losses == straight.losses
    # the stopped run also evaluated at its last step (9); the others fall on eval_every
    resumed_evals = [(m["step"], m["loss"]) for m in first.evals + second.evals
                     if m["step"] % 4 == 0 or m["step"] == 17]
    assert resumed_evals == [(m["step"], m["loss"]) for m in straight.evals]


def test_classifier_learns_and_reports_accuracy(tmp_path):
    recorder = Losses()
    trainer = make_trainer("classifier", tmp_path, 120, recorder)
    trainer.monitor, trainer.mode = "accuracy", "max"
    result = trainer.fit()
    last = recorder.evals[-1]
    assert last["accuracy"] > 0.85 and last["loss"] < recorder.evals[0]["loss"]
    assert result.best_metric == max(m["accuracy"] for m in recorder.evals)
    # the metrics agree with predictions made outside the trainer
    tokens, lengths, labels = parity_data()
    predicted = trainer.model.predict(tokens, lengths)
    assert last["accuracy"] == pytest.approx(np.mean(predicted == labels))
    assert last["macro_f1"] == pytest.approx(macro_f1(labels, predicted, 2))
    best, checkpoint = load_model(tmp_path / "best.safetensors")
    assert checkpoint.metadata == {"head": "classifier"}
    assert isinstance(best, SequenceClassifier)


def test_macro_f1_by_hand():
    actual = np.array([0, 0, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0])
    # class 0: P 1/2 R 1/2 F 1/2; class 1: P 2/3 R 1 F 0.8; class 2: F 0
    assert macro_f1(actual, predicted, 3) == pytest.approx((0.5 + 0.8 + 0.0) / 3)


def test_early_stopping_on_a_maximised_metric(tmp_path):
    recorder = Losses()
    model = classifier()
    arrays = parity_data()
    # a learning rate of zero: accuracy never improves after the first evaluation
    trainer = Trainer(model, Adam(model.parameters(), lr=0.0), ExampleBatches(arrays, 16),
                      ExampleBatches(arrays, 32, shuffle=False), eval_every=2, patience=3,
                      monitor="accuracy", mode="max", max_steps=100, callbacks=[recorder])
    result = trainer.fit()
    assert result.stop_reason == "early_stopping" and result.steps == 8
    with pytest.raises(ValueError, match="monitor"):
        Trainer(model, Adam(model.parameters(), lr=0.0), ExampleBatches(arrays, 16),
                ExampleBatches(arrays, 32), eval_every=1, monitor="bleu", max_steps=1).fit()


def test_regressor_learns_a_sine_one_step_ahead():
    series = np.sin(np.arange(200) * 2 * np.pi / 25)
    inputs, targets = make_windows(series, window=12, horizon=1)
    model = SequenceRegressor(1, 16, generator=0)
    recorder = Losses()
    data = ExampleBatches((inputs, targets), 32)
    Trainer(model, Adam(model.parameters(), lr=0.02), data, max_epochs=12,
            callbacks=[recorder]).fit()
    assert np.mean(recorder.losses[-6:]) < 0.05 * np.mean(recorder.losses[:6])
    error = np.abs(model.predict(inputs)[:, 0, 0] - targets[:, 0, 0]).mean()
    assert error < 0.1


def test_example_batches_cover_every_row_once_per_epoch():
    rows = np.arange(23)
    data = ExampleBatches((rows, rows * 10), 5, seed=3)
    for _ in range(2):
        seen = []
        for index in range(len(data)):
            (batch, scaled), starts = data.next_batch()
            assert starts == (index == 0) and np.array_equal(scaled, batch * 10)
            seen.extend(batch.tolist())
        assert sorted(seen) == rows.tolist()
    assert data.epoch == 2
    assert next(b[0].tolist() for b in data.batches()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="other data"):
        ExampleBatches((rows[:-1],), 5).load_state_dict(data.state_dict())
