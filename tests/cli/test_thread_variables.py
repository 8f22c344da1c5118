"""qaA s24 finding 4, the CLI's part: a thread-count variable that holds no positive count is
one line naming it and what to set. NUMBA_NUM_THREADS=0 (or -1) stops Numba from starting at
all: exit 2 before any work (it was "internal error: ValueError"); NUMBA_NUM_THREADS=abc and
OMP_NUM_THREADS=0/-1/abc fall back to a default: one warning line (Numba printed its warning
with a traceback block; OMP_NUM_THREADS was ignored silently), as PyTorch warns."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_helpers import seqlab_env
from inprocess import assert_one_line_failure, invoke


@pytest.mark.parametrize("value", ["0", "-1"])
def test_numba_num_threads_that_numba_refuses_is_one_line_naming_it(monkeypatch, value):
    monkeypatch.setenv("NUMBA_NUM_THREADS", value)
    done = invoke("info", "missing.safetensors")
    assert_one_line_failure(done, f"NUMBA_NUM_THREADS={value}", "positive", code=2)


@pytest.mark.parametrize("variable", ["NUMBA_NUM_THREADS", "OMP_NUM_THREADS"])
def test_a_thread_variable_that_falls_back_is_one_warning_line(monkeypatch, variable):
    monkeypatch.setenv(variable, "abc")
    done = invoke("--help")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning:"), done.stderr
    assert f"{variable}=abc" in lines[0] and "unset it" in lines[0], done.stderr


def test_a_real_run_shows_no_numba_traceback_and_one_line_each(tmp_path):
    """A process of its own: Numba reads NUMBA_NUM_THREADS when first imported, seqlab reads
    OMP_NUM_THREADS when its threads module is; neither adds a line of its own."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("abcab cabca\n" * 20)
    env = {**seqlab_env(), "NUMBA_NUM_THREADS": "abc", "OMP_NUM_THREADS": "-1"}
    done = subprocess.run(
        [sys.executable, "-m", "seqlab.cli", "train", str(corpus), "--steps", "1", "--hidden",
         "4", "--embedding-dim", "4", "--seq-len", "8", "--batch-size", "2", "--out",
         str(tmp_path / "m.safetensors"), "-q"], capture_output=True, text=True, env=env,
        timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(warnings) == 2, done.stderr
    assert all(line.startswith("warning:") for line in warnings), done.stderr
