"""Two checkpoint folders that are links to one folder (`ln -s /scratch/ck a.checkpoints`,
`ln -s /scratch/ck b.checkpoints`: the CLI keeps such links) are one folder: a second run
claiming it through the other link is refused, as through the same name, or its step-N files
would replace the first run's."""

from __future__ import annotations

import pytest

from seqlab.seqmodels.checkpoint import CheckpointDirInUseError, CheckpointManager


def test_two_links_to_one_checkpoint_folder_share_its_lock(tmp_path):
    shared = tmp_path / "scratch" / "ck"
    shared.mkdir(parents=True)
    (tmp_path / "a.checkpoints").symlink_to(shared)
    (tmp_path / "b.checkpoints").symlink_to(shared)
    first = CheckpointManager(tmp_path / "a.checkpoints")
    first.claim()
    try:
        with pytest.raises(CheckpointDirInUseError, match="another training run") as refused:
            CheckpointManager(tmp_path / "b.checkpoints").claim()
        assert f"a link to {shared}" in str(refused.value)  # the other run names another link
        with pytest.raises(CheckpointDirInUseError):
            CheckpointManager(shared).claim()
    finally:
        first.release()
