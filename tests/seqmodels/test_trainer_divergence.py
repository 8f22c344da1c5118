"""A diverging run: one clear error with what it kept, no NumPy warnings, no checkpoints of the
weights that went non-finite; and a finite loss far above a uniform guess is recognised."""

import math
import warnings

import numpy as np
import pytest
from test_trainer import VOCAB, FlakyModel, corpus

from seqlab.autograd.optim import SGD, Adam
from seqlab.seqmodels.checkpoint import CheckpointManager, load_checkpoint
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.metrics import far_above_uniform, uniform_loss
from seqlab.seqmodels.trainer import NonFiniteLossError, Trainer


def test_a_diverging_run_warns_nothing_and_keeps_no_checkpoint_of_the_weights_that_failed(
        tmp_path):
    # lr 1e30 without clipping: the first update overflows the float32 weights, every later
    # loss is NaN; the step-1 checkpoint holds the weights that then failed three times in a
    # row, so it goes; the best model (validated at step 1) is not a failed state: it stays
    model = LanguageModel(VOCAB, 6, 8, generator=0)
    data = TokenStreams(corpus(), batch_size=4, seq_len=10)
    trainer = Trainer(model, SGD(model.parameters(), lr=1e30), data, data, eval_every=1,
                      checkpoint_every=1, checkpoint_dir=tmp_path, max_steps=20,
                      max_nonfinite=3)
    settings = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning fails the test
        with pytest.raises(NonFiniteLossError) as caught:
            trainer.fit()
    assert np.geterr() == settings  # silenced inside the step only, not process-wide
    error = caught.value
    assert (error.step, error.first_step, error.count) == (4, 2, 3)
    assert error.lr == 1e30 and error.clip_norm is None
    assert error.kept is None and error.best == tmp_path / "best.safetensors"
    assert [path.name for path in error.removed] == ["step-00000001.safetensors"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["best.safetensors"]
    assert "step 2" in str(error) and "no checkpoint" in str(error)
    assert "best validated model, saved before the divergence" in str(error)


def test_checkpoints_stop_at_the_divergence_and_the_last_one_before_it_is_kept(tmp_path):
    # NaN from step 5: the step-4 weights are the ones that failed (removed), step 6 falls in
    # the non-finite streak (never written), step 2 predates it (kept)
    model = FlakyModel(VOCAB, 6, 8, generator=0)
    model.bad_calls = {5, 6, 7}
    written = []
    trainer = Trainer(model, Adam(model.parameters(), lr=0.01),
                      TokenStreams(corpus(), batch_size=4, seq_len=10), max_steps=10,
                      checkpoint_every=2, checkpoint_dir=tmp_path, max_nonfinite=3,
                      clip_norm=1.0)
    trainer.callbacks.append(type("Spy", (), {"on_checkpoint": lambda self, p: written.append(
        p.name)})())
    with pytest.raises(NonFiniteLossError) as caught:
        trainer.fit()
    manager = CheckpointManager(tmp_path)
    assert written == [manager.path_for(2).name, manager.path_for(4).name]
    assert manager.checkpoints() == [manager.path_for(2)]
    assert caught.value.kept == manager.path_for(2) and caught.value.clip_norm == 1.0
    assert load_checkpoint(caught.value.kept).step == 2
    assert str(manager.path_for(2)) in str(caught.value)


def test_uniform_loss_and_far_above_it():
    assert uniform_loss(24) == pytest.approx(math.log(24))
    assert far_above_uniform(24401.0, 24)
    assert not far_above_uniform(math.log(24) + 2, 24)  # an overfit model, not a diverged one
    assert not far_above_uniform(0.5, 2)
    assert far_above_uniform(math.inf, 2)


def test_an_overconfident_classifier_better_than_chance_has_not_diverged():
    # the review's binary classifier: 89% right, 11% wrong at logit margin 100 (loss 11.0)
    loss = 0.11 * 100.0
    assert not far_above_uniform(loss, 2, accuracy=0.89)
    assert far_above_uniform(loss, 2, accuracy=0.5)  # no better than chance: diverged
    assert far_above_uniform(20.0, 4, accuracy=0.2) and not far_above_uniform(20.0, 4, 0.3)
    assert far_above_uniform(loss, 2)  # no accuracy (a language model): the loss rule alone
