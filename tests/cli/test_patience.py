"""--patience early-stops every command that accepts it, and is refused in one line when the
run holds out nothing to validate on (it used to be dropped silently)."""

from __future__ import annotations

import json

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot

FORECAST = ["forecast", "train", "--series", "sunspots", "--hidden", "4", "--window", "6",
            "--quiet"]


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    path = tmp_path_factory.mktemp("texts") / "texts.csv"
    rows = [("pos", "good film"), ("neg", "bad plot"), ("pos", "great acting"),
            ("neg", "dull story")] * 8
    path.write_text("label,text\n" + "".join(f"{label},{text}\n" for label, text in rows))
    return path


CLASSIFY = ["--hidden", "4", "--embedding-dim", "4", "--quiet"]


def test_patience_without_validation_data_is_one_line(tmp_path, texts):
    before = snapshot(tmp_path)
    forecast = invoke(*FORECAST, "--val-fraction", "0", "--patience", "2",
                      "--out", tmp_path / "f.safetensors")
    assert_one_line_failure(forecast, "--patience 2", "--val-fraction 0", code=2)
    classify = invoke("classify", "train", texts, "--val-fraction", "0", "--patience", "2",
                      "--out", tmp_path / "c.safetensors", *CLASSIFY)
    assert_one_line_failure(classify, "--patience 2", "--val-fraction", code=2)
    assert snapshot(tmp_path) == before and not (tmp_path / "c.checkpoints").exists()


def test_patience_stops_a_forecaster_early(tmp_path):
    done = invoke(*FORECAST, "--steps", "400", "--eval-every", "1", "--patience", "1",
                  "--lr", "0.5", "--out", tmp_path / "f.safetensors", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stop_reason"] == "early_stopping" and result["steps"] < 400


def test_patience_stops_a_classifier_early(tmp_path, texts):
    done = invoke("classify", "train", texts, "--steps", "400", "--eval-every", "1",
                  "--patience", "1", "--monitor", "loss", "--lr", "2",
                  "--out", tmp_path / "c.safetensors", "--json", *CLASSIFY)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stop_reason"] == "early_stopping" and result["steps"] < 400
