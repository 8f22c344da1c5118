"""What a diverging run may remove: only the numbered checkpoints this run wrote at or after
the step before the non-finite streak; never the best validated model, the --resume source or
an earlier run's checkpoints, and never a user's own file in the folder."""

import pytest
from test_trainer import VOCAB, corpus

from seqlab.autograd.optim import Adam
from seqlab.seqmodels.checkpoint import CheckpointManager, load_checkpoint
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.trainer import NonFiniteLossError, Trainer


class TrainingGlitch(LanguageModel):
    """NaN logits on chosen training steps only (a bad stretch of data; validation is fine)."""

    bad_steps: set = frozenset()
    steps = 0

    def forward(self, tokens, state=None):
        logits, state = super().forward(tokens, state)
        if self.training:
            self.steps += 1
            if self.steps in self.bad_steps:
                logits = logits * float("nan")
        return logits, state


def _trainer(folder, bad=(), steps=20, keep=3, every=2):
    model = TrainingGlitch(VOCAB, 6, 8, generator=0)
    model.bad_steps = set(bad)
    return Trainer(model, Adam(model.parameters(), lr=0.01),
                   TokenStreams(corpus(), batch_size=4, seq_len=10),
                   TokenStreams(corpus(length=120, seed=1), batch_size=4, seq_len=10),
                   eval_every=every, checkpoint_every=every, checkpoint_dir=folder,
                   max_steps=steps, max_nonfinite=3, keep_last=keep)


def test_a_data_glitch_after_good_steps_keeps_the_best_validated_model(tmp_path):
    # NaN on steps 9-11: the step-8 checkpoint (this run's, the weights the streak started
    # from) goes; the best model, validated at step 8, is kept and named
    trainer = _trainer(tmp_path, bad={9, 10, 11})
    with pytest.raises(NonFiniteLossError) as caught:
        trainer.fit()
    manager = CheckpointManager(tmp_path)
    error = caught.value
    assert error.first_step == 9
    assert [path.name for path in error.removed] == [manager.path_for(8).name]
    assert manager.best_path.exists() and error.best == manager.best_path
    assert load_checkpoint(manager.best_path, training=False).step == 8
    assert error.kept == manager.path_for(6)
    assert "the best validated model, saved before the divergence" in str(error)


def test_a_resumed_run_that_diverges_removes_no_file_it_did_not_write(tmp_path):
    _trainer(tmp_path, steps=10, keep=10).fit()  # run 1: steps 2..10 and best
    before = sorted(path.name for path in tmp_path.iterdir())
    manager = CheckpointManager(tmp_path)
    source = manager.path_for(4)
    trainer = _trainer(tmp_path, bad={1, 2, 3}, steps=20, keep=10)
    trainer.resume(source)
    with pytest.raises(NonFiniteLossError) as caught:
        trainer.fit()
    assert caught.value.removed == ()
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    assert caught.value.kept == source  # the newest checkpoint not after the divergence


def test_a_resumed_run_removes_only_its_own_checkpoints_of_the_failed_weights(tmp_path):
    _trainer(tmp_path, steps=4, keep=10).fit()  # run 1: steps 2, 4
    trainer = _trainer(tmp_path, bad={3, 4, 5}, steps=20, keep=10)  # resumed: steps 7-9 bad
    trainer.resume(CheckpointManager(tmp_path).path_for(4))
    with pytest.raises(NonFiniteLossError) as caught:
        trainer.fit()
    manager = CheckpointManager(tmp_path)
    assert caught.value.first_step == 7
    assert caught.value.removed == (manager.path_for(6),)
    assert manager.checkpoints() == [manager.path_for(2), manager.path_for(4)]


def test_a_users_own_step_named_file_is_not_a_checkpoint(tmp_path):
    trainer = _trainer(tmp_path, steps=4, keep=10)
    trainer.fit()
    manager = CheckpointManager(tmp_path, run_id=trainer.run_id)
    mine = tmp_path / "step-00000001-mine.safetensors"
    mine.write_bytes(manager.path_for(2).read_bytes())
    assert manager.checkpoints() == [manager.path_for(2), manager.path_for(4)]
    assert manager.discard_from(0) == [manager.path_for(2), manager.path_for(4)]
    assert mine.exists()
