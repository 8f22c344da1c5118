"""What `train --resume` tells a user (cliqa stop 17, items 3 and 6): a limit given with
--resume is the run's new total, and the refusal names the value that trains as much again;
a run that read stdin says to pipe the same text again."""

from __future__ import annotations

import json
import re
import signal
import time

from cli_helpers import CORPUS, TINY, popen, run


def test_a_used_up_budget_names_the_total_to_give(tmp_path, trained_model):
    steps = json.loads(run("info", str(trained_model), "--json").stdout)["step"]
    done = run("train", "--resume", str(trained_model), "--steps", "5",
               "--out", str(tmp_path / "more.safetensors"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "total" in done.stderr and f"give --steps {steps + 5}" in done.stderr, done.stderr


def test_a_used_up_time_budget_names_the_seconds_to_give(tmp_path, corpus_file):
    out = tmp_path / "lm.safetensors"
    first = run("train", str(corpus_file), "--time-budget", "1", "--out", str(out), *TINY)
    assert first.returncode == 0, first.stderr
    again = run("train", "--resume", str(out), "--time-budget", "0.5")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    given = re.search(r"for 0.5 s more give --time-budget (\d+)", again.stderr)
    assert given and "run's total" in again.stderr, again.stderr
    # the named value does train one more second's worth (the run accepts it)
    more = run("train", "--resume", str(out), "--time-budget", given.group(1), "--json")
    assert more.returncode == 0, more.stderr
    assert json.loads(more.stdout)["stop_reason"] == "time_budget"


def test_help_says_the_limits_are_totals():
    text = " ".join(run("train", "--help").stdout.replace("│", " ").split())
    for option in ("--steps", "--epochs", "--time-budget"):
        described = text.split(f" {option} <", 1)[1][:150]
        assert "total" in described and "--resume" in described, (option, described)


def test_an_interrupted_stdin_run_says_to_pipe_the_text_again(tmp_path):
    out = tmp_path / "piped.safetensors"
    process = popen("train", "-", "--steps", "100000", "--out", str(out), *TINY,
                    stdin=-1, stdout=-1, stderr=-1, text=True)
    process.stdin.write(CORPUS)
    process.stdin.close()
    metrics = tmp_path / "piped.metrics.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and not (metrics.exists() and metrics.read_text().count("\n")):
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 130, stderr
    hint = " ".join(stderr.split())
    assert f"| seqlab train --resume {out}" in hint and "pipe the same text" in hint, stderr
    stopped_at = json.loads(run("info", str(out), "--json").stdout)["step"]
    more = str(stopped_at + 1)
    empty = run("train", "--resume", str(out), "--steps", more, input="")
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert "standard input" in empty.stderr and "pipe the same text" in empty.stderr
    resumed = run("train", "--resume", str(out), "--steps", more, "--json", input=CORPUS)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["steps"] == stopped_at + 1
