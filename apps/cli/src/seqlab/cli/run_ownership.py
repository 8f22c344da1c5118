"""A training run writes over only its own run's files (QA s20 Q2 findings 1 and 4).

Numbered checkpoints are named by step alone (`step-00000190.safetensors`), so a second run into
the same `NAME.checkpoints/` would replace a killed run's files of the same steps, then prune
them as its own. Each checkpoint records the run that saved it (`run_id` in its header), so
before a run starts:

- a new run (no --resume) refuses a folder holding another run's numbered checkpoints, in one
  line saying which --resume continues that run; `--force` removes them at the start (saying
  so) and the run starts over, as its --force already replaces `--out` itself. They are removed
  rather than kept beside the new run's files because they share its names: kept, the new run
  would overwrite some and prune them as its own, and `--resume` would mix the two runs;
- a resumed run refuses numbered checkpoints of a third run in its folder (those saved before
  runs were recorded are left to `CheckpointManager.adopt_unrecorded`), and an `--out` model
  that another run wrote (another run id in its header: the README's "pick another step" with
  `--out NAME.safetensors` after another run finished there), unless `--force`.
"""

from __future__ import annotations

import os
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


def check_run_files(out: Path, output: Output, *, force: bool, resumed_from: Any = None,
                    resume_path: str | os.PathLike[str] | None = None) -> None:
    """Refuse (CliError) a run that would overwrite another run's files named after `out`, or
    with `force` remove that run's numbered checkpoints, saying so in one line. `resumed_from`
    is the checkpoint a resumed run continues (read from `resume_path`); with no `resume_path`
    (a new run) it is ignored."""
    from seqlab.cli.training import checkpoint_dir
    from seqlab.seqmodels.checkpoint import run_of, training_path

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
        return
    newest = found[-1]
    what = f"{plural(len(found), 'numbered checkpoint')} of another run (newest {newest.name})"
    if force:
        for path in found:
            training_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        output.info(f"--force: removed {what} from {folder}; this run starts over there")
        return
    if resumed_from is None and not out.exists():
        hint = f"--resume {out} continues that run"
    else:
        hint = f"--resume {newest} --out OTHER.safetensors continues that run"
    raise CliError(f"{folder} holds {what}, which this run would overwrite and remove: "
                   f"{hint}, or pass --force to remove them and start over")
