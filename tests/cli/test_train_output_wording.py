"""train's and eval's words (cliqa stop 17, item 17): the stop reason in words, not the
Trainer's name for it; every kept file named as the run was given its --out; loss curves
that fit an 80-column terminal; `eval --help` without a line broken mid-sentence."""

from __future__ import annotations

import itertools
import subprocess
import sys

from cli_helpers import TINY, run, seqlab_env

from seqlab.cli.plot import loss_chart


def test_saved_line_and_kept_files_read_as_given(tmp_path, corpus_file):
    (tmp_path / "models").mkdir()
    done = run("train", str(corpus_file), "--steps", "10", "--out", "models/m.safetensors",
               *[option for option in TINY if option != "--quiet"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "after 10 steps (--steps reached)" in said and "(steps)" not in said, said
    kept = said.split("Kept ", 1)[1].split(" (best validation)")[0]
    assert kept.startswith("models/m.safetensors (the model)")
    assert "models/m.train.safetensors (optimizer state" in kept, kept
    assert "models/m.checkpoints/best.safetensors" in kept
    assert str(tmp_path) not in kept, kept  # no absolute path among relative ones


def test_loss_curves_fit_80_columns():
    long_run = [1000.0 / (step + 1) for step in range(5000)]
    chart = loss_chart(long_run, long_run[::50])
    lines = chart.splitlines()
    assert len(lines) == 2 and all(len(line) <= 79 for line in lines), chart
    assert all(" -> " in line for line in lines)
    # both curves have the same width, so their steps line up
    assert len({len(line.split("  ")[0]) for line in lines}) == 1
    short = loss_chart([3.0, 2.0, 1.0], [])
    assert short.startswith("train loss ") and len(short) <= 79


def test_eval_help_breaks_no_sentence_at_80_columns():
    env = {**seqlab_env(), "COLUMNS": "80"}
    shown = subprocess.run([sys.executable, "-m", "seqlab.cli", "eval", "--help"],
                           capture_output=True, text=True, env=env, timeout=120).stdout
    described = shown.split("Examples:")[0].splitlines()
    rows = [line.strip() for line in described]
    for row, following in itertools.pairwise(rows):
        if row and following and not row.startswith(("Usage", "╭", "│")):
            assert len(row) >= 60, f"a line ends early in eval --help: {row!r}"
