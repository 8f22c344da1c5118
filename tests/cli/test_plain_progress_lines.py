"""A log gets progress (qaA s22, item 8): when stderr is not a terminal, Rich's bar draws once,
at the end, so `train ... 2> log` (nohup, Slurm) showed nothing for hours; and `ngram train`
showed no progress at all. Now every progress display writes a plain line (no ANSI codes) at a
modest interval (`progress.PLAIN_LINE_SECONDS`, 30 s; 0 here, so each update is due), and
`ngram train` names its phases."""

from __future__ import annotations

from cli_helpers import TINY
from inprocess import invoke


def _no_interval(monkeypatch):
    from seqlab.cli import progress

    monkeypatch.setattr(progress, "PLAIN_LINE_SECONDS", 0.0)


def test_train_writes_plain_progress_lines_to_a_log(tmp_path, corpus_file, monkeypatch):
    _no_interval(monkeypatch)
    loud = [option for option in TINY if option != "--quiet"]
    done = invoke("train", corpus_file, "--steps", "4", "--out", tmp_path / "m.safetensors",
                  *loud)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("training: ")]
    assert len(lines) >= 3, done.stderr  # one per update, each due at interval 0
    assert lines[0].startswith("training: 25% done") and "loss" in lines[0], lines
    assert "\x1b" not in done.stderr


def test_no_plain_lines_before_the_interval(tmp_path, corpus_file):
    loud = [option for option in TINY if option != "--quiet"]
    done = invoke("train", corpus_file, "--steps", "2", "--out", tmp_path / "m.safetensors",
                  *loud)
    assert done.returncode == 0, done.stderr
    assert "training: " not in done.stderr  # a short run: the final bar only, no flood


def test_ngram_train_names_its_phases_in_a_log(tmp_path, corpus_file, monkeypatch):
    _no_interval(monkeypatch)
    done = invoke("ngram", "train", corpus_file, "--order", "3", "--out", tmp_path / "m.arpa")
    assert done.returncode == 0, done.stderr
    for phase in ("ngram train: counting 2-grams", "tokens read", "counting 3-grams",
                  "estimating", "writing"):
        assert phase in done.stderr, done.stderr
    assert "\x1b" not in done.stderr


def test_ngram_train_quiet_and_json_show_no_phases(tmp_path, corpus_file, monkeypatch):
    _no_interval(monkeypatch)
    done = invoke("ngram", "train", corpus_file, "--order", "2", "--json",
                  "--out", tmp_path / "m.arpa")
    assert done.returncode == 0, done.stderr
    assert "ngram train:" not in done.stderr


def test_a_budget_below_the_process_floor_is_named(tmp_path, corpus_file):
    """qaA s22, item 9: `--memory 500M` peaked at 550 MiB. The process's own floor (Python,
    NumPy, Numba's kernels: `external.PROCESS_BYTES`) cannot shrink with the budget: below
    twice the floor the counts get half the budget and the run may pass it; a note says so."""
    done = invoke("ngram", "train", corpus_file, "--order", "2", "--memory", "500M",
                  "--out", tmp_path / "small.arpa")
    assert done.returncode == 0, done.stderr
    assert "--memory 500M" in done.stderr and "640M" in done.stderr, done.stderr
    roomy = invoke("ngram", "train", corpus_file, "--order", "2", "--memory", "1G",
                   "--out", tmp_path / "roomy.arpa")
    assert roomy.returncode == 0, roomy.stderr
    assert "--memory" not in roomy.stderr, roomy.stderr
