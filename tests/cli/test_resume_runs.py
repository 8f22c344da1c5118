"""`--resume` continues the same run (data, --out, budget); `--init-from` fine-tunes; one
metrics file per run without duplicated steps."""

from __future__ import annotations

import json

from cli_helpers import TINY, run


def metric_rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_resume_continues_the_run_with_no_arguments(tmp_path, corpus_file):
    out = tmp_path / "lm.safetensors"
    first = run("train", str(corpus_file), "--steps", "10", "--out", str(out), *TINY)
    assert first.returncode == 0, first.stderr
    rows_before = metric_rows(tmp_path / "lm.metrics.jsonl")
    # a kill -9 after the last checkpoint leaves rows the resumed run writes again
    with (tmp_path / "lm.metrics.jsonl").open("a") as file:
        for step in (20, 30):
            file.write(json.dumps({"type": "train", "step": step, "loss": 9.9}) + "\n")
    done = run("train", "--resume", str(out), "--steps", "40", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["steps"] == 40 and result["model"] == str(out)
    assert not (tmp_path / "model.safetensors").exists()
    rows = metric_rows(tmp_path / "lm.metrics.jsonl")
    assert rows[: len(rows_before)] == rows_before
    train_steps = [row["step"] for row in rows if row["type"] == "train"]
    assert train_steps == [10, 20, 30, 40] and 9.9 not in [row["loss"] for row in rows]
    # the budget is used up: resuming again without a new stop says so
    again = run("train", "--resume", str(out))
    assert again.returncode == 1 and "--steps" in again.stderr
    assert "Traceback" not in again.stderr


def test_resume_on_other_data_points_to_init_from(tmp_path, trained_model):
    other = tmp_path / "other.txt"
    other.write_text("completely different words and letters for fine tuning\n" * 60)
    before = trained_model.read_bytes()
    done = run("train", str(other), "--resume", str(trained_model), "--steps", "50")
    assert done.returncode == 1 and "--init-from" in done.stderr
    assert "Traceback" not in done.stderr and trained_model.read_bytes() == before


def test_init_from_fine_tunes_on_any_data(tmp_path, trained_model):
    other = tmp_path / "other.txt"
    other.write_text("The quick brown dog jumps over a lazy fox, then jumps again.\n" * 40)
    out = tmp_path / "tuned.safetensors"
    done = run("train", str(other), "--init-from", str(trained_model), "--steps", "3",
               "--out", str(out), "--batch-size", "4", "--seq-len", "16", "--json")
    assert done.returncode == 0, done.stderr
    tuned = json.loads(run("info", str(out), "--json").stdout)
    base = json.loads(run("info", str(trained_model), "--json").stdout)
    assert tuned["step"] == 3 and tuned["config"] == base["config"]
    assert tuned["vocab_size"] == base["vocab_size"]
    same = run("train", str(other), "--init-from", str(trained_model), "--steps", "3",
               "--out", str(trained_model))
    assert same.returncode == 1 and "--out" in same.stderr


def test_a_fresh_run_replaces_the_metrics_file(tmp_path, corpus_file):
    out = tmp_path / "fresh.safetensors"
    metrics = tmp_path / "fresh.metrics.jsonl"
    metrics.write_text(json.dumps({"type": "train", "step": 999, "loss": 1.0}) + "\n")
    done = run("train", str(corpus_file), "--steps", "10", "--out", str(out), *TINY)
    assert done.returncode == 0, done.stderr
    assert 999 not in [row["step"] for row in metric_rows(metrics)]
