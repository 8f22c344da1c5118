"""Trainer: learning, evaluation by hand, clipping, non-finite steps, callbacks, limits."""

import math

import numpy as np
import pytest

from seqlab.autograd import no_grad
from seqlab.autograd.optim import SGD, Adam
from seqlab.autograd.optim.lr_scheduler import StepLR
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.trainer import Callback, NonFiniteLossError, Trainer, loss_metrics

VOCAB = 5


def corpus(length=400, seed=0):
    """A pattern with a little noise: learnable, not trivially."""
    pattern = np.tile(np.array([0, 1, 2, 3, 4, 3, 2, 1]), length // 8 + 1)[:length]
    noise = np.random.default_rng(seed).random(length) < 0.05
    return np.where(noise, 0, pattern).astype(np.int64)


def make_model(cell="lstm", dropout=0.0, seed=0):
    return LanguageModel(VOCAB, 6, 8, num_layers=1, cell=cell, dropout=dropout, generator=seed)


class Recorder(Callback):
    def __init__(self):
        self.steps, self.evals, self.checkpoints = [], [], []

    def on_step(self, metrics):
        self.steps.append(metrics)

    def on_eval(self, metrics):
        self.evals.append(metrics)

    def on_checkpoint(self, path):
        self.checkpoints.append(path)


def test_loss_decreases_and_evaluation_is_reported():
    model = make_model()
    recorder = Recorder()
    trainer = Trainer(model, Adam(model.parameters(), lr=0.03),
                      TokenStreams(corpus(), batch_size=4, seq_len=10),
                      TokenStreams(corpus(seed=1), batch_size=2, seq_len=10),
                      clip_norm=5.0, eval_every=10, max_steps=60, callbacks=[recorder])
    result = trainer.fit()
    assert result.steps == 60 and result.stop_reason == "steps"
    losses = [m["loss"] for m in recorder.steps]
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:5])
    assert [m["step"] for m in recorder.evals] == [10, 20, 30, 40, 50, 60]
    assert recorder.evals[-1]["loss"] < recorder.evals[0]["loss"]
    last = recorder.evals[-1]
    assert math.isclose(last["perplexity"], math.exp(last["loss"]))
    assert math.isclose(last["bits_per_token"], last["loss"] / math.log(2))
    assert result.best_valid_loss == min(m["loss"] for m in recorder.evals)
    assert all(np.isfinite(m["grad_norm"]) and not m["skipped"] for m in recorder.steps)


def test_evaluate_equals_a_hand_computed_mean_cross_entropy():
    model = make_model()
    valid = TokenStreams(corpus(seed=2), batch_size=3, seq_len=7)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), valid, valid)
    metrics = trainer.evaluate()
    total, count, state = 0.0, 0, None
    with no_grad():
        for inputs, targets in valid:
            logits, state = model(inputs, state)
            array = logits.data.astype(np.float64)
            shifted = array - array.max(-1, keepdims=True)
            logprobs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
            picked = np.take_along_axis(logprobs, targets[..., None], -1)
            total -= picked.sum()
            count += targets.size
    assert count == valid.tokens_per_epoch == metrics["tokens"]
    assert math.isclose(metrics["loss"], total / count, rel_tol=1e-5)


def test_clip_norm_bounds_the_update():
    model = make_model()
    before = [p.data.copy() for p in model.parameters()]
    recorder = Recorder()
    trainer = Trainer(model, SGD(model.parameters(), lr=1.0),
                      TokenStreams(corpus(), batch_size=4, seq_len=10),
                      clip_norm=1e-3, max_steps=1, callbacks=[recorder])
    trainer.fit()
    change = math.sqrt(sum(float(((p.data - b) ** 2).sum())
                           for p, b in zip(model.parameters(), before)))
    assert recorder.steps[0]["grad_norm"] > 1e-3
    assert math.isclose(change, 1e-3, rel_tol=1e-3)


def test_clip_value_bounds_each_entry():
    model = make_model()
    before = [p.data.copy() for p in model.parameters()]
    trainer = Trainer(model, SGD(model.parameters(), lr=1.0),
                      TokenStreams(corpus(), batch_size=4, seq_len=10),
                      clip_value=1e-4, max_steps=1)
    trainer.fit()
    largest = max(float(np.abs(p.data - b).max()) for p, b in zip(model.parameters(), before))
    assert math.isclose(largest, 1e-4, rel_tol=1e-3)


class FlakyModel(LanguageModel):
    """Produces NaN logits on chosen training steps."""

    bad_calls: set = frozenset()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def forward(self, tokens, state=None):
        logits, state = super().forward(tokens, state)
        self.calls += 1
        if self.calls in self.bad_calls:
            logits = logits * float("nan")
        return logits, state


def test_non_finite_steps_are_skipped_then_training_recovers():
    model = FlakyModel(VOCAB, 6, 8, generator=0)
    model.bad_calls = {2, 3}
    recorder = Recorder()
    trainer = Trainer(model, Adam(model.parameters(), lr=0.01),
                      TokenStreams(corpus(), batch_size=4, seq_len=10),
                      max_steps=5, max_nonfinite=3, callbacks=[recorder])
    snapshots = []
    recorder.on_step = lambda metrics: (recorder.steps.append(metrics),
                                        snapshots.append(model.rnn.weight_hh_l0.data.copy()))
    trainer.fit()
    skipped = [m["skipped"] for m in recorder.steps]
    assert skipped == [False, True, True, False, False]
    assert math.isnan(recorder.steps[1]["grad_norm"])
    # a skipped step leaves the parameters as they were
    assert np.array_equal(snapshots[0], snapshots[1]) and np.array_equal(snapshots[1], snapshots[2])
    assert not np.array_equal(snapshots[2], snapshots[3])
    assert trainer.nonfinite_in_a_row == 0


def test_too_many_non_finite_steps_in_a_row_is_a_clear_error():
    model = FlakyModel(VOCAB, 6, 8, generator=0)
    model.bad_calls = {2, 3, 4}
    trainer = Trainer(model, Adam(model.parameters(), lr=0.01),
                      TokenStreams(corpus(), batch_size=4, seq_len=10),
                      max_steps=10, max_nonfinite=3)
    with pytest.raises(NonFiniteLossError, match="3 steps in a row"):
        trainer.fit()
    assert trainer.step == 4


def test_scheduler_steps_once_per_update_and_metrics_show_the_rate_used():
    model = make_model()
    optimizer = SGD(model.parameters(), lr=0.1)
    recorder = Recorder()
    trainer = Trainer(model, optimizer, TokenStreams(corpus(), batch_size=4, seq_len=10),
                      scheduler=StepLR(optimizer, step_size=2, gamma=0.5), max_steps=5,
                      callbacks=[recorder])
    trainer.fit()
    assert [round(m["lr"], 6) for m in recorder.steps] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_early_stopping_when_validation_stops_improving():
    model = make_model()
    recorder = Recorder()
    data = TokenStreams(corpus(), batch_size=4, seq_len=10)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.0), data, data, eval_every=2,
                      patience=2, max_steps=100, callbacks=[recorder])
    result = trainer.fit()
    # lr 0: the first evaluation is the best; two more without improvement stop the run
    assert result.stop_reason == "early_stopping"
    assert [m["step"] for m in recorder.evals] == [2, 4, 6]


def test_epoch_and_time_limits():
    model = make_model()
    data = TokenStreams(corpus(), batch_size=4, seq_len=10)
    result = Trainer(model, SGD(model.parameters(), lr=0.1), data, max_epochs=2).fit()
    assert result.stop_reason == "epochs" and result.steps == 2 * len(data)
    result = Trainer(model, SGD(model.parameters(), lr=0.1), data, time_budget=0.2).fit()
    assert result.stop_reason == "time_budget" and result.steps >= 1


def test_a_run_stopped_by_its_budget_records_at_least_the_budget(monkeypatch, tmp_path):
    """The budget is judged on the time a checkpoint saves, so resuming with the same total
    trains nothing more (an evaluation after the last step once pushed the clock over the
    budget while the saved time stayed under it)."""
    from seqlab.seqmodels import trainer as trainer_module

    clock = [1000.0]
    monkeypatch.setattr(trainer_module.time, "perf_counter", lambda: clock[0])
    model = make_model()
    data = TokenStreams(corpus(), batch_size=4, seq_len=10)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), data, data, eval_every=1,
                      time_budget=10.0, checkpoint_dir=tmp_path, checkpoint_every=1)
    step, evaluate = trainer.train_step, trainer._evaluate_and_track

    def slow_step():
        clock[0] += 3.0
        return step()

    def slow_evaluation():
        clock[0] += 2.0  # the time between a step and the limit check
        return evaluate()

    monkeypatch.setattr(trainer, "train_step", slow_step)
    monkeypatch.setattr(trainer, "_evaluate_and_track", slow_evaluation)
    result = trainer.fit()
    assert result.stop_reason == "time_budget"
    assert trainer.elapsed >= trainer.time_budget  # what the checkpoint saved


def test_stop_request_saves_a_resumable_checkpoint(tmp_path):
    model = make_model()
    recorder = Recorder()
    trainer = Trainer(model, Adam(model.parameters(), lr=0.01),
                      TokenStreams(corpus(), batch_size=4, seq_len=10), max_steps=50,
                      checkpoint_dir=tmp_path, callbacks=[recorder])
    recorder.on_step = lambda m: trainer.request_stop() if m["step"] == 3 else None
    result = trainer.fit()
    assert result.stop_reason == "stop_requested" and result.steps == 3
    assert result.checkpoint is not None and result.checkpoint.exists()
    assert recorder.checkpoints == [result.checkpoint]
    resumed_model = make_model(seed=9)
    resumed = Trainer(resumed_model, Adam(resumed_model.parameters(), lr=0.01),
                      TokenStreams(corpus(), batch_size=4, seq_len=10), max_steps=50)
    resumed.resume(result.checkpoint)
    assert resumed.step == 3 and resumed.train_data.position == 3


@pytest.mark.parametrize("eval_every", [None, 5])
def test_a_stop_requested_in_the_last_step_ends_the_run_by_its_limit(eval_every):
    """A stop signal during the last step (or the final validation) leaves a run that
    reached its limit: its stop_reason is the limit, not a stop that a resume could continue
    (QA round 23: the printed resume command then failed, the run being done)."""
    model = make_model()
    recorder = Recorder()
    trainer = Trainer(model, Adam(model.parameters(), lr=0.01),
                      TokenStreams(corpus(), batch_size=4, seq_len=10), max_steps=5,
                      valid_data=TokenStreams(corpus(), batch_size=4, seq_len=10)
                      if eval_every else None, eval_every=eval_every, callbacks=[recorder])
    recorder.on_step = lambda m: trainer.request_stop() if m["step"] == 5 else None
    result = trainer.fit()
    assert (result.stop_reason, result.steps) == ("steps", 5)


def test_bad_settings_are_clear_errors():
    model = make_model()
    data = TokenStreams(corpus(), batch_size=4, seq_len=10)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="clip_norm or clip_value"):
        Trainer(model, optimizer, data, clip_norm=1.0, clip_value=1.0)
    with pytest.raises(ValueError, match="patience"):
        Trainer(model, optimizer, data, patience=3)
    with pytest.raises(ValueError, match="at least one limit"):
        Trainer(model, optimizer, data).fit()
    assert loss_metrics(math.log(2))["bits_per_token"] == pytest.approx(1.0)


def test_a_run_decay_schedule_reaches_its_floor_at_the_step_or_epoch_limit():
    from seqlab.autograd.optim.lr_scheduler import RunDecayLR

    data = TokenStreams(corpus(), batch_size=4, seq_len=10)
    for limits, total in (({"max_steps": 8}, 8), ({"max_epochs": 2}, 2 * len(data))):
        model = make_model()
        optimizer = SGD(model.parameters(), lr=0.1)
        recorder = Recorder()
        trainer = Trainer(model, optimizer, TokenStreams(corpus(), batch_size=4, seq_len=10),
                          scheduler=RunDecayLR(optimizer, "linear", final_factor=0.2),
                          callbacks=[recorder], **limits)
        trainer.fit()
        # step k (0-based) uses the rate set after k updates: 0.1 * (1 - 0.8 k / total)
        expected = [0.1 * (1 - 0.8 * k / total) for k in range(total)]
        assert [m["lr"] for m in recorder.steps] == pytest.approx(expected)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(0.02)
        assert trainer.progress() == 1.0


def test_progress_follows_the_time_budget():
    model = make_model()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1),
                      TokenStreams(corpus(), batch_size=4, seq_len=10), time_budget=100.0)
    assert trainer.progress() == 0.0
    trainer.elapsed = 25.0
    assert trainer.progress() == pytest.approx(0.25)
