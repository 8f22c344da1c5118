"""`keep_last` prunes only the numbered checkpoints of its own run (and of the run a resume
continues): a second run on the same folder, a library user's second Trainer included, never
removes an earlier run's checkpoints, nor a file seqlab did not write."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd.optim import Adam
from seqlab.seqmodels.checkpoint import (
    CheckpointDirInUseError,
    CheckpointManager,
    TrainingState,
    load_checkpoint,
    run_of,
)
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.trainer import Trainer


def make_lm(seed=0):
    return LanguageModel(7, 4, 6, num_layers=1, generator=seed)


def make_trainer(folder, max_steps, keep_last=2, seed=0):
    model = make_lm(seed)
    tokens = np.random.default_rng(0).integers(0, 7, size=300)
    return Trainer(model, Adam(model.parameters(), lr=0.01),
                   TokenStreams(tokens, batch_size=2, seq_len=5), max_steps=max_steps,
                   checkpoint_dir=folder, checkpoint_every=1, keep_last=keep_last)


def names(folder):
    return sorted(path.name for path in folder.glob("step-*") if ".train." not in path.name)


def test_a_second_manager_leaves_the_first_runs_checkpoints(tmp_path):
    model = make_lm()
    first = CheckpointManager(tmp_path, keep_last=2)
    for step in (100, 200, 300):
        first.save(step, model, training=TrainingState())
    first.release()  # the first run is over
    second = CheckpointManager(tmp_path, keep_last=2)
    for step in (1, 2, 3):  # lower steps than the first run's: they sort before them
        second.save(step, model, training=TrainingState())
    assert names(tmp_path) == ["step-00000002.safetensors", "step-00000003.safetensors",
                               "step-00000200.safetensors", "step-00000300.safetensors"]
    assert [path.name for path in second.run_checkpoints()] == \
        ["step-00000002.safetensors", "step-00000003.safetensors"]
    assert (tmp_path / "step-00000002.train.safetensors").exists()


def test_a_second_trainer_on_the_same_folder_keeps_the_first_ones(tmp_path):
    make_trainer(tmp_path, 5).fit()
    assert names(tmp_path) == ["step-00000004.safetensors", "step-00000005.safetensors"]
    make_trainer(tmp_path, 3, seed=1).fit()
    assert names(tmp_path) == ["step-00000002.safetensors", "step-00000003.safetensors",
                               "step-00000004.safetensors", "step-00000005.safetensors"]


def test_a_resumed_run_prunes_the_checkpoints_of_the_run_it_continues(tmp_path):
    first = make_trainer(tmp_path, 4)
    stopped = first.fit()
    make_trainer(tmp_path / "other", 2, seed=2).fit()  # another run, another folder
    resumed = make_trainer(tmp_path, 7)
    resumed.resume(stopped.checkpoint)
    assert resumed.run_id == first.run_id
    resumed.fit()
    assert names(tmp_path) == ["step-00000006.safetensors", "step-00000007.safetensors"]
    assert load_checkpoint(tmp_path / "step-00000007.safetensors").run_id == first.run_id


def test_files_seqlab_did_not_write_are_never_pruned(tmp_path):
    foreign = tmp_path / "step-00000001.safetensors"
    foreign.write_bytes(b"not a checkpoint at all")
    manager = CheckpointManager(tmp_path, keep_last=1)
    model = make_lm()
    for step in (5, 6, 7):
        manager.save(step, model, training=TrainingState())
    assert foreign.read_bytes() == b"not a checkpoint at all"
    assert names(tmp_path) == ["step-00000001.safetensors", "step-00000007.safetensors"]


def test_checkpoints_saved_before_runs_were_recorded_are_kept(tmp_path):
    from seqlab.autograd import io

    manager = CheckpointManager(tmp_path, keep_last=1)
    old = manager.save(1, make_lm(), training=TrainingState())
    tensors, header = io.load(old)
    del header["run_id"]  # as seqlab wrote checkpoints before stop 20
    io.save(old, tensors, header)
    for step in (2, 3):
        manager.save(step, make_lm(), training=TrainingState())
    assert names(tmp_path) == ["step-00000001.safetensors", "step-00000003.safetensors"]


def test_a_second_live_run_on_the_folder_is_refused_and_changes_nothing(tmp_path):
    """Two runs saving into one folder at once would replace each other's step-N files (names
    carry only the step): a run holds the folder from its first save until it releases it
    (a Trainer's fit, as it returns), and a second run's save is refused in one line."""
    model = make_lm()
    first = CheckpointManager(tmp_path, keep_last=2)
    kept = first.save(10, model, training=TrainingState())
    second = CheckpointManager(tmp_path, keep_last=2)
    with pytest.raises(CheckpointDirInUseError, match="another training run") as refused:
        second.save(10, make_lm(seed=1), training=TrainingState())
    assert "\n" not in str(refused.value)
    assert run_of(kept) == first.run_id
    first.release()
    second.save(11, model, training=TrainingState())  # the first run is over: the folder is free
    assert run_of(kept) == first.run_id


def test_a_second_trainer_resuming_the_same_checkpoint_is_refused(tmp_path):
    """Two resumes of one checkpoint share its run id: at once in one folder they would prune
    each other's files; the second is refused before it trains a step."""
    stopped = make_trainer(tmp_path, 3).fit()
    refusals = []

    class StartAnother:
        def on_step(self, metrics):
            if not refusals:
                other = make_trainer(tmp_path, 8)
                other.resume(stopped.checkpoint)
                with pytest.raises(CheckpointDirInUseError):
                    other.fit()
                refusals.append(other.step)

    resumed = make_trainer(tmp_path, 6)
    resumed.callbacks.append(StartAnother())
    resumed.resume(stopped.checkpoint)
    resumed.fit()
    assert refusals == [3]  # refused where it resumed: not one step trained
    assert names(tmp_path) == ["step-00000005.safetensors", "step-00000006.safetensors"]
    assert not list(tmp_path.parent.glob(f".{tmp_path.name}*lock"))  # released as fit returned


def _as_before_stop_20(path):
    from seqlab.autograd import io

    tensors, header = io.load(path)
    del header["run_id"]  # as seqlab wrote checkpoints before stop 20
    io.save(path, tensors, header)


def test_resuming_an_unrecorded_run_adopts_its_earlier_checkpoints(tmp_path):
    """A run killed under the old version left checkpoints with no run id; resumed from the
    last of them, they are the run being continued: keep_last prunes them like its own."""
    killed = make_trainer(tmp_path, 4, keep_last=3)
    killed.fit()
    for path in CheckpointManager(tmp_path).checkpoints():
        _as_before_stop_20(path)
    foreign = tmp_path / "step-00000009.safetensors"  # a later one: not this run's past
    other = CheckpointManager(tmp_path / "x")
    _as_before_stop_20(other.save(9, make_lm(), training=TrainingState()))
    other.release()
    (tmp_path / "x" / foreign.name).rename(foreign)
    (tmp_path / "x" / "step-00000009.train.safetensors").rename(
        tmp_path / "step-00000009.train.safetensors")
    resumed = make_trainer(tmp_path, 7, keep_last=2)
    resumed.resume(tmp_path / "step-00000003.safetensors")
    assert [path.name for path in resumed.manager.run_checkpoints()] == \
        ["step-00000002.safetensors", "step-00000003.safetensors"]
    resumed.fit()
    assert names(tmp_path) == ["step-00000006.safetensors", "step-00000007.safetensors",
                               "step-00000009.safetensors"]
