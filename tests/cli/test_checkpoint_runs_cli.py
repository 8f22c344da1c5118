"""A training command prunes and tidies only its own run's numbered checkpoints: another run's
in `NAME.checkpoints/` (a killed run that `--resume` could still continue) stay, and the
closing line says they were left."""

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


def test_a_new_run_leaves_another_runs_checkpoints(tmp_path, corpus_file):
    out = tmp_path / "M.safetensors"
    others = _other_run(tmp_path / "M.checkpoints")
    before = {path: path.read_bytes() for path in others}
    tiny = [option for option in TINY if option != "--quiet"]
    done = invoke("train", corpus_file, "--steps", "3", "--checkpoint-every", "1",
                  "--keep-last", "1", "--out", out, *tiny)
    assert done.returncode == 0, done.stderr
    assert {path: path.read_bytes() for path in others} == before
    for path in others:
        assert path.with_name(path.name.replace(".safetensors", ".train.safetensors")).exists()
    left = sorted(path.name for path in (tmp_path / "M.checkpoints").iterdir())
    assert left == ["best.safetensors",  # this run's: its own numbered ones are tidied away
                    "step-00000900.safetensors", "step-00000900.train.safetensors",
                    "step-00001000.safetensors", "step-00001000.train.safetensors"]
    said = " ".join(done.stderr.split())
    assert "2 numbered checkpoints of another run" in said, done.stderr
