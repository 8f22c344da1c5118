"""What a finished training run keeps on disk, and saying so.

While a run trains, numbered checkpoints (model + optimizer state, ~3x the model) are written to
NAME.checkpoints/ so that even a `kill -9` loses little. Once the run has saved NAME.safetensors
with its training state, its numbered files duplicate it: they are removed, and what is kept
is listed: the model, its training state (what --resume reads) and the best-validation model.
Another run's numbered checkpoints there (a killed run that `--resume` could continue) are not
this run's to remove: they stay, and the list says so.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path


def plural(count: int, noun: str) -> str:
    """`count` and `noun`, with an s unless `count` is 1: `plural(2, "checkpoint")`."""
    return f"{count} {noun}{'s' if count != 1 else ''}"


def tidy_periodic_checkpoints(out: Path, checkpoint_dir: Path, run_id: str,
                              adopted: Collection[Path] = ()) -> str:
    """Remove the numbered checkpoints of run `run_id` (and those it `adopted`: saved before
    runs were recorded by the run it resumed) that the saved `out` supersedes; return what is
    kept."""
    from seqlab.seqmodels.checkpoint import CheckpointManager, training_path

    manager = CheckpointManager(checkpoint_dir, run_id=run_id)
    manager.adopted.update(adopted)
    for old in manager.run_checkpoints():
        training_path(old).unlink(missing_ok=True)
        old.unlink(missing_ok=True)
    # every path as the run was given it (relative stays relative), the model's folder first
    kept = [f"{out} (the model)"]
    if training_path(out).exists():
        kept.append(f"{training_path(out)} (optimizer state: what --resume needs)")
    if manager.best_path.exists():
        kept.append(f"{checkpoint_dir / manager.best_path.name} (best validation)")
    others = len(manager.checkpoints())
    if others:
        kept.append(f"{plural(others, 'numbered checkpoint')} of another run "
                    f"in {checkpoint_dir} (not this run's to remove)")
    # a link (onto a bigger disk) is the user's, and so is the folder it points to: kept
    if checkpoint_dir.is_dir() and not checkpoint_dir.is_symlink() and \
            not any(checkpoint_dir.iterdir()):
        checkpoint_dir.rmdir()
    return "Kept " + ", ".join(kept)


_CREATED: list[Path] = []  # folders this process made (see claim_checkpoint_dir)


def claim_checkpoint_dir(folder: Path, create: bool = True) -> Path:
    """Note that this run may make `folder` (NAME.checkpoints, NAME.cache: when it does not
    exist yet), and make it when `create`; `remove_empty_created` later removes it if the run
    stops leaving it empty."""
    if not folder.exists():
        _CREATED.append(folder)
    if create:
        folder.mkdir(exist_ok=True)
    return folder


def remove_empty_created() -> None:
    """Remove the folders this process noted and made that are still empty (a run stopped by
    an error or a signal before its first checkpoint or cache file); a folder that existed
    before is kept."""
    while _CREATED:
        folder = _CREATED.pop()
        try:
            if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:
            pass  # not ours to fight over: a folder we cannot read or remove stays
