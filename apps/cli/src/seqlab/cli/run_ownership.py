"""A training run writes over only its own run's files (QA s20 Q2 findings 1 and 4).

Numbered checkpoints are named by step alone (`step-00000190.safetensors`), so a second run into
the same `NAME.checkpoints/` would replace a killed run's files of the same steps, then prune
them as its own. Each checkpoint records the run that saved it (`run_id` in its header), so
before a run starts:

- a new run (no --resume) refuses a folder holding another run's numbered checkpoints, in one
  line saying which --resume continues that run; `--force` removes them (saying so) and the
  run starts over, as its --force already replaces `--out` itself. They are removed only when
  the new run is about to write its first file (`run_trainer` calls `OtherRunFiles.remove`),
  not when the options are checked: a run refused on its data or options (a missing or empty
  corpus, a window longer than the series) has removed nothing (leftovers s21). They are removed
  rather than kept beside the new run's files because they share its names: kept, the new run
  would overwrite some and prune them as its own, and `--resume` would mix the two runs;
- a resumed run refuses numbered checkpoints of a third run in its folder (those saved before
  runs were recorded are left to `CheckpointManager.adopt_unrecorded`), and an `--out` model
  that another run wrote (another run id in its header: the README's "pick another step" with
  `--out NAME.safetensors` after another run finished there), unless `--force`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.cli import file_kinds
from seqlab.cli.console import Output
from seqlab.cli.errors import CliError
from seqlab.cli.outputs import same_file
from seqlab.cli.run_files import plural


def other_runs_checkpoints(folder: Path, run_id: str | None, resumed: bool) -> list[Path]:
    """The numbered seqlab checkpoints in `folder` that a run would overwrite but did not save,
    oldest first: every one for a new run (`resumed` False); for a resumed run `run_id`, those
    recording another run (unrecorded ones are adopted or left by the Trainer)."""
    from seqlab.seqmodels.checkpoint import CheckpointManager, run_of

    found = []
    for path in CheckpointManager(folder).checkpoints():
        if file_kinds.kind_of(path) != file_kinds.CHECKPOINT:
            continue  # a file seqlab did not write is never touched (nor counted)
        owner = run_of(path)
        if not resumed or (owner is not None and owner != run_id):
            found.append(path)
    return found


@dataclass
class OtherRunFiles:
    """Another run's numbered checkpoints that `--force` lets this run remove, once it is about
    to write its first file."""

    folder: Path
    paths: list[Path]

    def describe(self) -> str:
        """'2 numbered checkpoints of another run (newest step-00000004.safetensors)'."""
        return (f"{plural(len(self.paths), 'numbered checkpoint')} of another run "
                f"(newest {self.paths[-1].name})")

    def remove(self, output: Output) -> None:
        """Remove the checkpoints (each with its training state), saying so in one line."""
        from seqlab.seqmodels.checkpoint import training_path

        for path in self.paths:
            training_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        output.info(f"--force: removed {self.describe()} from {self.folder}; this run starts "
                    "over there")


def check_run_files(out: Path, *, force: bool, resumed_from: Any = None,
                    resume_path: str | os.PathLike[str] | None = None) -> OtherRunFiles | None:
    """Refuse (CliError) a run that would overwrite another run's files named after `out`;
    with `force`, return that run's numbered checkpoints for the run to remove when it starts
    writing (`OtherRunFiles.remove`; None when there are none). `resumed_from` is the
    checkpoint a resumed run continues (read from `resume_path`); with no `resume_path` (a new
    run) it is ignored."""
    from seqlab.cli.training import checkpoint_dir
    from seqlab.seqmodels.checkpoint import run_of

    if resume_path is None:
        resumed_from = None
    else:
        resume_path = Path(resume_path)
    run_id = getattr(resumed_from, "run_id", None)
    if resumed_from is not None and not force and out.is_file() and \
            not same_file(out, resume_path) and (run_id is None or run_of(out) != run_id):
        raise CliError(f"--out {out} is another run's model, not one of the run --resume "
                       f"{resume_path} continues; this run would replace it, its training state, "
                       "metrics log and best model: choose another --out, or pass --force to "
                       "replace them")
    folder = checkpoint_dir(out)
    found = other_runs_checkpoints(folder, run_id, resumed_from is not None)
    if not found:
        return None
    others = OtherRunFiles(folder, found)
    if force:
        return others
    newest = found[-1]
    if resumed_from is None and not out.exists():
        hint = f"--resume {out} continues that run"
    else:
        hint = f"--resume {newest} --out OTHER.safetensors continues that run"
    raise CliError(f"{folder} holds {others.describe()}, which this run would overwrite and "
                   f"remove: {hint}, or pass --force to remove them and start over")
