"""qaA s24 finding 3: `forecast eval` / `forecast predict` read a SERIES.csv whose columns are
named otherwise than in training (the embedded sunspots series as its own CSV file: YEAR,
SUNACTIVITY) through `--target` / `--features`, which map the file's columns onto the model's
in order, as `model.predict(df[[...]])` does in Keras or statsmodels; without them a file
lacking the model's column names the options the command has."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from cli_helpers import run
from inprocess import assert_one_line_failure, invoke

SUNSPOTS = files("seqlab.seqmodels") / "timeseries" / "sunspots.csv"


@pytest.fixture(scope="module")
def forecaster(tmp_path_factory):
    """The smallest forecaster of the embedded sunspots series (one epoch: only its columns
    matter here)."""
    out = tmp_path_factory.mktemp("model") / "f.safetensors"
    done = run("forecast", "train", "--epochs", "1", "--hidden", "4", "--window", "6",
               "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    return out


def test_eval_maps_the_files_target_column_onto_the_models(forecaster):
    embedded = invoke("forecast", "eval", forecaster, "--json")
    assert embedded.returncode == 0, embedded.stderr
    as_file = invoke("forecast", "eval", forecaster, SUNSPOTS, "--target", "SUNACTIVITY",
                     "--json")
    assert as_file.returncode == 0, as_file.stderr
    assert json.loads(as_file.stdout)["mae"] == json.loads(embedded.stdout)["mae"]


def test_predict_maps_the_files_target_column_and_labels_its_output_with_it(forecaster):
    embedded = invoke("forecast", "predict", forecaster, "--horizon", "3", "--json")
    as_file = invoke("forecast", "predict", forecaster, SUNSPOTS, "--target", "SUNACTIVITY",
                     "--horizon", "3", "--json")
    assert as_file.returncode == 0, as_file.stderr
    assert json.loads(as_file.stdout)["values"] == json.loads(embedded.stdout)["values"]
    assert json.loads(as_file.stdout)["target"] == "SUNACTIVITY"


@pytest.mark.parametrize("command", ["eval", "predict"])
def test_a_file_without_the_models_column_names_the_commands_options(forecaster, command):
    done = invoke("forecast", command, forecaster, SUNSPOTS)
    assert_one_line_failure(done, "SUNACTIVITY", "--target", code=1)
    wrong = invoke("forecast", command, forecaster, SUNSPOTS, "--target", "SUNACTIVITY",
                   "--features", "YEAR")
    assert_one_line_failure(wrong, "--features", "no features", code=2)
    embedded = invoke("forecast", command, forecaster, "--target", "SUNACTIVITY")
    assert_one_line_failure(embedded, "--target", "SERIES.csv", code=2)
