"""A training command prunes and tidies only its own run's numbered checkpoints: another run's
in `NAME.checkpoints/` (a killed run that `--resume` could still continue) stay; a new run
there is refused before it writes any (`run_ownership`)."""

from __future__ import annotations

from cli_helpers import TINY
from inprocess import invoke


def _other_run(folder):
    """Two numbered checkpoints of another run, at steps above the new run's."""
    from seqlab.seqmodels.checkpoint import CheckpointManager, TrainingState
    from seqlab.seqmodels.language_model import LanguageModel

    manager = CheckpointManager(folder, keep_last=5)
    model = LanguageModel(5, 4, 4, num_layers=1)
    return [manager.save(step, model, training=TrainingState()) for step in (900, 1000)]


def test_a_new_run_refuses_another_runs_checkpoints_and_leaves_them(tmp_path, corpus_file):
    """The new run's step files would replace the other run's of the same names and be pruned
    as its own (QA s20 Q2 finding 1): it is refused, touching nothing (test_run_ownership_cli
    has the --force that starts over)."""
    out = tmp_path / "M.safetensors"
    others = _other_run(tmp_path / "M.checkpoints")
    before = {path: path.read_bytes() for path in others}
    done = invoke("train", corpus_file, "--steps", "3", "--checkpoint-every", "1",
                  "--keep-last", "1", "--out", out, *TINY)
    assert done.returncode == 1, done.stderr
    said = " ".join(done.stderr.split())
    assert "2 numbered checkpoints of another run (newest step-00001000.safetensors)" in said
    assert {path: path.read_bytes() for path in others} == before
    left = sorted(path.name for path in (tmp_path / "M.checkpoints").iterdir())
    assert left == ["step-00000900.safetensors", "step-00000900.train.safetensors",
                    "step-00001000.safetensors", "step-00001000.train.safetensors"]
    assert not out.exists()
