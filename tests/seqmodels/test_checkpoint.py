"""Checkpoints: round trips, exact resume, mismatch errors, broken files, atomic writes."""

import numpy as np
import pytest
import safetensors.numpy

from seqlab.autograd.optim import Adam
from seqlab.autograd.optim.lr_scheduler import StepLR
from seqlab.seqmodels.checkpoint import (
    CheckpointManager,
    TrainingState,
    load_checkpoint,
    load_model,
    optimizer_from_file,
    optimizer_to_file,
    save_checkpoint,
    training_path,
)
from seqlab.seqmodels.classifier import SequenceClassifier
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.regressor import SequenceRegressor
from seqlab.seqmodels.trainer import Callback, Trainer

TOKENIZER = {"type": "char", "vocab": ["a", "b", "c", "d", "e", "f", "g"]}


def corpus(length=600, seed=0):
    return np.random.default_rng(seed).integers(0, 7, size=length)


def make_lm(cell="lstm", seed=0, hidden=8, dropout=0.3):
    return LanguageModel(7, 5, hidden, num_layers=2, cell=cell, dropout=dropout, generator=seed)


class Losses(Callback):
    def __init__(self):
        self.losses = []

    def on_step(self, metrics):
        self.losses.append(metrics["loss"])


def make_trainer(model, tmp_path, max_steps, recorder):
    optimizer = Adam(model.parameters(), lr=0.01)
    return Trainer(model, optimizer, TokenStreams(corpus(), batch_size=3, seq_len=9),
                   scheduler=StepLR(optimizer, step_size=3, gamma=0.7), clip_norm=1.0,
                   max_steps=max_steps, checkpoint_dir=tmp_path, tokenizer=TOKENIZER,
                   callbacks=[recorder])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_resume_continues_exactly(tmp_path, cell):
    # the stream has 22 chunks: the run crosses an epoch boundary after the resume
    straight = Losses()
    make_trainer(make_lm(cell), tmp_path / "straight", 26, straight).fit()

    first = Losses()
    stopped = make_trainer(make_lm(cell), tmp_path / "split", 11, first).fit()
    second = Losses()
    # a fresh model with other initial weights and generator: everything must come from the file
    trainer = make_trainer(make_lm(cell, seed=123), tmp_path / "split", 26, second)
    trainer.resume(stopped.checkpoint)
    trainer.fit()
    assert len(first.losses) == 11 and len(second.losses) == 15
    assert first.losses + second.losses == straight.losses


def test_model_file_holds_exactly_the_state_dict(tmp_path):
    model = make_lm(dropout=0.0)
    path = save_checkpoint(tmp_path / "model.safetensors", model, tokenizer=TOKENIZER, step=7,
                           metrics=[{"step": 7, "loss": 1.5}])
    arrays = safetensors.numpy.load_file(path)
    assert set(arrays) == set(model.state_dict())
    for name, array in model.state_dict().items():
        assert np.array_equal(arrays[name], array) and arrays[name].dtype == array.dtype
    assert not training_path(path).exists()
    loaded, checkpoint = load_model(path, tokenizer=TOKENIZER)
    assert checkpoint.step == 7 and checkpoint.metrics[0]["loss"] == 1.5
    assert loaded.config == model.config
    ids = corpus(12).reshape(4, 3)
    model.eval(), loaded.eval()
    assert np.array_equal(loaded(ids)[0].data, model(ids)[0].data)


@pytest.mark.parametrize("model", [
    SequenceClassifier(9, 4, 5, 3, bidirectional=True, pooling="mean", generator=0),
    SequenceRegressor(2, 6, output_size=2, horizon=3, cell="gru", generator=0),
    LanguageModel(7, 6, 6, tie_weights=True, cell="rnn", generator=0),
])
def test_every_head_round_trips(tmp_path, model):
    path = save_checkpoint(tmp_path / "head.safetensors", model)
    loaded, _ = load_model(path)
    assert type(loaded) is type(model) and loaded.config == model.config
    for name, array in model.state_dict().items():
        assert np.array_equal(loaded.state_dict()[name], array)


def test_optimizer_state_survives_the_file_format():
    model = make_lm()
    optimizer = Adam(model.parameters(), lr=0.01)
    for parameter in model.parameters():
        parameter.grad = np.ones_like(parameter.data)
    optimizer.step()
    tensors, meta = optimizer_to_file(optimizer.state_dict())
    assert "optimizer.0.exp_avg" in tensors
    restored = optimizer_from_file(tensors, meta)
    original = optimizer.state_dict()
    assert restored["state"].keys() == original["state"].keys()
    for index, values in original["state"].items():
        for name, value in values.items():
            assert np.array_equal(restored["state"][index][name], value)


def test_mismatched_architecture_is_a_clear_error(tmp_path):
    stopped = make_trainer(make_lm(), tmp_path, 2, Losses()).fit()
    with pytest.raises(ValueError, match="hidden_size: checkpoint 8, asked for 16"):
        make_trainer(make_lm(hidden=16), tmp_path, 5, Losses()).resume(stopped.checkpoint)
    with pytest.raises(ValueError, match="cell: checkpoint 'lstm', asked for 'gru'"):
        load_model(stopped.checkpoint, config=make_lm(cell="gru").config)


def test_mismatched_vocabulary_is_a_clear_error(tmp_path):
    stopped = make_trainer(make_lm(), tmp_path, 2, Losses()).fit()
    other = {"type": "char", "vocab": ["a", "b", "c", "d", "e", "f", "h"]}
    with pytest.raises(ValueError, match="different tokenizer/vocabulary"):
        load_model(stopped.checkpoint, tokenizer=other)
    model = make_lm()
    trainer = make_trainer(model, tmp_path, 5, Losses())
    trainer.tokenizer = other
    with pytest.raises(ValueError, match="different tokenizer/vocabulary"):
        trainer.resume(stopped.checkpoint)


def test_broken_files_are_clear_errors(tmp_path):
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"this is not a safetensors file at all")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        load_checkpoint(garbage)
    path = save_checkpoint(tmp_path / "whole.safetensors", make_lm())
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        load_checkpoint(truncated)
    foreign = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file({"w": np.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="not a seqlab checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(ValueError, match="give a model file that seqlab saved") as raised:
        load_checkpoint(foreign)
    assert "save_checkpoint" not in str(raised.value)  # the command line shows it too
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_a_training_state_given_as_a_model_names_its_model_file(tmp_path):
    model = tmp_path / "lm.safetensors"
    save_checkpoint(model, make_lm(), training=TrainingState(trainer={"step": 1}))
    state = training_path(model)
    with pytest.raises(ValueError, match=f"training state of the checkpoint {model}, not a "
                                         f"model: give {model},"):
        load_checkpoint(state)


def test_training_file_from_another_save_is_refused(tmp_path):
    trainer = make_trainer(make_lm(), tmp_path, 2, Losses())
    trainer.fit()
    first = trainer.save(tmp_path / "a.safetensors")
    second = trainer.save(tmp_path / "b.safetensors")
    training_path(first).write_bytes(training_path(second).read_bytes())
    with pytest.raises(ValueError, match="different save"):
        load_checkpoint(first)
    training_path(second).unlink()
    with pytest.raises(FileNotFoundError, match="training state"):
        load_checkpoint(second)
    assert load_checkpoint(second, training=False).training is None


def test_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    model = make_lm()
    path = save_checkpoint(tmp_path / "model.safetensors", model, step=1)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.numpy, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, step=2)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_manager_keeps_the_last_n_and_the_best(tmp_path):
    model = make_lm()
    manager = CheckpointManager(tmp_path, keep_last=2)
    from seqlab.seqmodels.checkpoint import TrainingState

    for step in (10, 20, 30, 40):
        manager.save(step, model, best=step == 20, training=TrainingState())
    assert [p.name for p in manager.checkpoints()] == ["step-00000030.safetensors",
                                                      "step-00000040.safetensors"]
    assert manager.latest().name == "step-00000040.safetensors"
    assert load_checkpoint(manager.best_path).step == 20
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["best.safetensors", "step-00000030.safetensors",
                     "step-00000030.train.safetensors", "step-00000040.safetensors",
                     "step-00000040.train.safetensors"]
