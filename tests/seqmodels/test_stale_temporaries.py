"""A run killed while writing a checkpoint (`kill -9`, a power cut) leaves its hidden
`.step-N.safetensors.XXXXXXXX.tmp` in the checkpoint folder. The next run that holds the
folder's lock (its claim proves no live run writes there) removes such files, and only files
named as seqlab's own checkpoint temporaries: a user's file, or any file while another run
holds the folder, stays."""

from __future__ import annotations

import pytest

from seqlab.seqmodels.checkpoint import CheckpointDirInUseError, CheckpointManager

STALE = [".step-00000960.safetensors.k2x_9abc.tmp", ".step-00000960.train.safetensors.q1w2e3r4.tmp",
         ".best.safetensors.zz00zz00.tmp"]
KEPT = [".notes.txt.abcdefgh.tmp",  # a temporary, but not of a file a manager writes
        ".step-00000960.safetensors.tmp",  # not a name mkstemp gives
        "step-00000960.safetensors.abcdefgh.tmp",  # not hidden
        ".step-12.safetensors.abcdefgh.tmp",  # not a numbered checkpoint's name
        ".best.train.safetensors.abcdefgh.tmp",  # best has no training file
        ".mine.safetensors.abcdefgh.tmp", "notes.tmp"]


def fill(folder):
    folder.mkdir()
    for name in STALE + KEPT:
        (folder / name).write_bytes(b"partial")


def test_claim_removes_only_stale_checkpoint_temporaries(tmp_path):
    folder = tmp_path / "m.checkpoints"
    fill(folder)
    manager = CheckpointManager(folder)
    manager.claim()
    try:
        assert sorted(path.name for path in folder.iterdir()) == sorted(KEPT)
    finally:
        manager.release()


def test_a_refused_claim_removes_nothing(tmp_path):
    folder = tmp_path / "m.checkpoints"
    holder = CheckpointManager(folder)
    holder.claim()
    try:
        fill(folder)  # the live run's temporaries, being written
        with pytest.raises(CheckpointDirInUseError):
            CheckpointManager(folder).claim()
        assert sorted(path.name for path in folder.iterdir()) == sorted(STALE + KEPT)
    finally:
        holder.release()

