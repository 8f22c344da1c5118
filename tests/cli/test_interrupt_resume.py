"""Ctrl-C during training saves a resumable checkpoint; --resume finishes the run."""

from __future__ import annotations

import json
import signal
import time

from cli_helpers import TINY, popen, run


def test_sigint_saves_and_resume_finishes(tmp_path, corpus_file):
    out = tmp_path / "run.safetensors"
    process = popen("train", str(corpus_file), "--steps", "100000", "--out", str(out), *TINY,
                    stdout=-1, stderr=-1, text=True)
    metrics = tmp_path / "run.metrics.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and not (metrics.exists() and metrics.read_text().count("\n")):
        time.sleep(0.5)  # wait until training is really under way
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    assert out.exists()
    info = json.loads(run("info", str(out), "--json").stdout)
    stopped_at = info["step"]
    assert stopped_at >= 1 and info["resumable"]
    resumed = run("train", str(corpus_file), "--steps", str(stopped_at + 5), "--out", str(out),
                  "--resume", str(out), "--json", "--batch-size", "4", "--seq-len", "16",
                  "--eval-every", "5")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["steps"] == stopped_at + 5


def test_resume_with_other_architecture_is_a_clear_error(trained_model, corpus_file, tmp_path):
    before = trained_model.read_bytes()
    done = run("train", str(corpus_file), "--resume", str(trained_model), "--hidden", "32",
               "--out", str(trained_model), "--steps", "50")
    assert done.returncode == 1
    assert "hidden_size" in done.stderr and "Traceback" not in done.stderr
    assert trained_model.read_bytes() == before
    other = run("train", str(corpus_file), "--resume", str(trained_model), "--level", "word",
                "--out", str(tmp_path / "x.safetensors"), "--steps", "50")
    assert other.returncode == 1 and "char" in other.stderr
