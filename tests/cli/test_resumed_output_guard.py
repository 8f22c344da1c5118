"""A resumed run given no --out writes the --out its run recorded: the output guard checks
that file too (it may since have become someone else's), and still lets the run's own files
be rewritten."""

from __future__ import annotations

import json
import shutil

from cli_helpers import TINY
from inprocess import assert_one_line_failure, invoke

from seqlab.seqmodels.checkpoint import training_path


def copy_run(source, target):
    shutil.copy(source, target)
    shutil.copy(training_path(source), training_path(target))


def test_lm_resume_refuses_a_foreign_file_at_the_recorded_out(tmp_path, corpus_file):
    recorded, copy = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert invoke("train", corpus_file, "--steps", "2", "--out", recorded, *TINY).returncode == 0
    copy_run(recorded, copy)
    recorded.write_text("my own notes\n")
    refused = invoke("train", "--resume", copy, "--steps", "4")
    assert_one_line_failure(refused, str(recorded), "--force", code=1)
    assert recorded.read_text() == "my own notes\n"
    forced = invoke("train", "--resume", copy, "--steps", "4", "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["model"] == str(recorded)
    # the run's own files (model, training state, metrics log) pass the guard
    again = invoke("train", "--resume", recorded, "--steps", "6", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["steps"] == 6


def test_forecast_resume_refuses_a_foreign_metrics_log_at_the_recorded_out(tmp_path):
    recorded, copy = tmp_path / "f.safetensors", tmp_path / "g.safetensors"
    small = ["--hidden", "4", "--window", "6", "--quiet"]
    assert invoke("forecast", "train", "--series", "sunspots", "--steps", "2", "--out",
                  recorded, *small).returncode == 0
    copy_run(recorded, copy)
    log = tmp_path / "f.metrics.jsonl"
    log.write_text("not a seqlab log\n")
    refused = invoke("forecast", "train", "--resume", copy, "--steps", "4")
    assert_one_line_failure(refused, str(log), "--force", code=1)
    assert log.read_text() == "not a seqlab log\n"


def test_seq2seq_resume_refuses_a_foreign_file_at_the_recorded_out(tmp_path):
    pairs = tmp_path / "copy.tsv"
    pairs.write_text("".join(f"{w}\t{' '.join(w)}\n" for w in ("ab", "ba", "abc", "cab") * 8),
                     encoding="utf-8")
    small = ["--hidden", "8", "--layers", "1", "--embedding-dim", "4", "--batch-size", "8",
             "--quiet"]
    recorded, copy = tmp_path / "m.safetensors", tmp_path / "n.safetensors"
    assert invoke("seq2seq", "train", pairs, "--steps", "2", "--out", recorded,
                  *small).returncode == 0
    copy_run(recorded, copy)
    recorded.write_text("USER DATA\n")
    refused = invoke("seq2seq", "train", "--resume", copy, "--steps", "4")
    assert_one_line_failure(refused, str(recorded), "--force", code=1)
    assert recorded.read_text() == "USER DATA\n"
    forced = invoke("seq2seq", "train", "--resume", copy, "--steps", "4", "--force", "--quiet")
    assert forced.returncode == 0, forced.stderr
