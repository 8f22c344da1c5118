"""`seqlab forecast` end to end through the real command, on small series."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import run
from typer_inprocess import assert_fails, invoke

SMALL = ["--hidden", "8", "--window", "6", "--quiet"]


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory):
    """A seasonal series with a trend, a feature column and two gaps."""
    path = tmp_path_factory.mktemp("series") / "sales.csv"
    time = np.arange(120)
    sales = 10 + 0.1 * time + 2 * np.sin(time * 2 * np.pi / 12)
    price = 5 + np.cos(time * 2 * np.pi / 12)
    rows = [f"{t},{'' if t in (30, 31) else f'{s:.4f}'},{p:.4f}"
            for t, s, p in zip(time, sales, price, strict=True)]
    path.write_text("month,sales,price\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def forecaster(series_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "f.safetensors"
    done = run("forecast", "train", str(series_csv), "--target", "sales", "--features",
               "price", "--time-column", "month", "--horizon", "3", "--season", "12",
               "--transform", "difference", "--epochs", "15", "--out", str(out), "--json",
               *SMALL)
    assert done.returncode == 0, done.stderr
    assert "interpolation" in done.stderr
    return out, json.loads(done.stdout)


def test_train_and_eval_report_the_baselines(forecaster, series_csv):
    out, result = forecaster
    for report in (result, *result["baselines"].values()):
        assert {"mae", "rmse", "mape", "smape"} <= set(report)
    assert result["horizon"] == 3 and result["test_values"] == 24
    assert result["baselines"]["seasonal_naive"]["season"] == 12
    assert result["mae"] < result["baselines"]["persistence"]["mae"]
    evaluated = run("forecast", "eval", str(out), str(series_csv), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["mae"] == pytest.approx(result["mae"])
    assert set(report["baselines"]) == {"persistence", "seasonal_naive", "ar"}
    drawn = invoke("forecast", "eval", str(out), str(series_csv))
    assert "persistence" in drawn.stdout and "actual" in drawn.stdout


def test_predict_direct_and_the_multivariate_limit(forecaster, series_csv):
    out, _ = forecaster
    direct = run("forecast", "predict", str(out), str(series_csv), "--horizon", "3", "--json")
    assert direct.returncode == 0, direct.stderr
    first = json.loads(direct.stdout)
    assert first["method"] == "direct" and len(first["values"]) == 3
    again = json.loads(invoke("forecast", "predict", str(out), str(series_csv), "--steps",
                              "3", "--json").stdout)
    assert again["values"] == first["values"]  # a reloaded model, the old spelling: the same
    both = invoke("forecast", "predict", str(out), str(series_csv), "--horizon", "3",
                  "--steps", "2")
    assert_fails(both, "--steps", "--horizon")
    as_csv = invoke("forecast", "predict", str(out), str(series_csv), "--horizon", "2")
    # trained with --time-column month (0..119, a regular step): rows are the next months
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "month,sales" and [line.split(",")[0] for line in lines[1:]] == [
        "120", "121"]
    beyond = invoke("forecast", "predict", str(out), str(series_csv), "--horizon", "5")
    assert_fails(beyond, "horizon", "features")


def test_embedded_series_recursive_predict_and_resume(tmp_path):
    out = tmp_path / "sun.safetensors"
    done = run("forecast", "train", "--series", "sunspots", "--steps", "4", "--out", str(out),
               "--json", *SMALL)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["baselines"]["seasonal_naive"]["season"] == 11
    resumed = run("forecast", "train", "--resume", str(out), "--steps", "6", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"Saved {out} after 6 steps (--steps reached); held-out MAE" in resumed.stdout
    info = json.loads(invoke("info", str(out), "--json").stdout)
    assert info["config"]["model"] == "SequenceRegressor" and info["metadata"]["window"] == 6
    ahead = json.loads(invoke("forecast", "predict", str(out), "--steps", "4", "--json").stdout)
    assert ahead["method"] == "recursive" and len(ahead["values"]) == 4


def test_bad_inputs_are_one_clear_line(tmp_path, series_csv, trained_model, forecaster):
    out = str(tmp_path / "x.safetensors")
    text = tmp_path / "text.csv"
    text.write_text("day,value\n1,3\n2,high\n3,4\n")
    assert_fails(invoke("forecast", "train", str(text), "--target", "value", "--out", out),
                         "text.csv:3", "not a number", code=1)
    assert_fails(invoke("forecast", "train", str(series_csv), "--target", "sales",
                             "--window", "500", "--out", out), "--window", "longer")
    assert_fails(invoke("forecast", "train", str(series_csv), "--target", "sales",
                             "--horizon", "0", "--out", out), "--horizon", code=2)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("t,y\n1,2\n2,3,4\n")
    assert_fails(invoke("forecast", "train", str(ragged), "--target", "y", "--out", out),
                         "ragged.csv:3")
    assert_fails(invoke("forecast", "train", str(series_csv), "--target", "nope",
                             "--out", out), "'nope'", "--target")
    assert_fails(invoke("forecast", "predict", str(trained_model)), "language model",
                         "not a forecaster")
    assert not (tmp_path / "x.safetensors").exists()


def test_a_semicolon_csv_evaluates_as_the_comma_one(forecaster, series_csv, tmp_path):
    """Excel writes ';' where the decimal mark is a comma: the header line gives the delimiter."""
    out, _ = forecaster
    semicolons = tmp_path / "sales_semi.csv"
    semicolons.write_text(series_csv.read_text().replace(",", ";"))
    comma = invoke("forecast", "eval", str(out), str(series_csv), "--json")
    semi = invoke("forecast", "eval", str(out), str(semicolons), "--json")
    assert semi.code == 0, semi.message
    assert json.loads(semi.stdout) == json.loads(comma.stdout)


def test_a_csv_without_a_header_row_is_told_so(tmp_path, series_csv):
    headerless = tmp_path / "noheader.csv"
    headerless.write_text("".join(series_csv.read_text().splitlines(keepends=True)[1:]))
    assert_fails(invoke("forecast", "train", str(headerless), "--target", "sales", "--out",
                        str(tmp_path / "f.safetensors")),
                 "has no column 'sales'", "first row is read as the header")


def test_rows_out_of_time_order_are_one_clear_line(tmp_path, series_csv):
    """A file sorted newest first would train on the future and hold out the past."""
    header, *rows = series_csv.read_text().splitlines()
    reversed_file = tmp_path / "sales_rev.csv"
    reversed_file.write_text("\n".join([header, *reversed(rows)]) + "\n")
    assert_fails(invoke("forecast", "train", str(reversed_file), "--target", "sales",
                        "--time-column", "month", "--out", str(tmp_path / "f.safetensors")),
                 "sales_rev.csv:3: time stamp '118'", "comes before '119' on line 2",
                 "sort the rows by 'month'")
    assert not (tmp_path / "f.safetensors").exists()
