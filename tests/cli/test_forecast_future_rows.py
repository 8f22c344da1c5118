"""A series file whose last rows carry known features and an empty target (Prophet's future
frame, a Kaggle test set): `forecast predict` forecasts those rows and never fills them in as
history; interior gaps are interpolated with a warning naming their rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from inprocess import assert_one_line_failure, invoke

# two training steps: the tests compare forecasts of one model with each other, so any weights do
TINY = ["--hidden", "8", "--window", "6", "--steps", "2", "-q"]


def _rows(count: int = 60) -> list[str]:
    time = np.arange(count)
    sales = 10 + 0.1 * time + 2 * np.sin(time * 2 * np.pi / 12)
    price = 5 + np.cos(time * 2 * np.pi / 12)
    return [f"{t},{s:.4f},{p:.4f}" for t, s, p in zip(time, sales, price, strict=True)]


def _write(path, rows):
    path.write_text("t,sales,price\n" + "\n".join(rows) + "\n")
    return path


def _future(start: int, count: int, price: str = "5.5") -> list[str]:
    return [f"{t},,{price}" for t in range(start, start + count)]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("future")
    history = _write(folder / "history.csv", _rows())
    trained = {}
    for name, extra in (("uni", []), ("multi", ["--features", "price", "--horizon", "3"])):
        out = folder / f"{name}.safetensors"
        done = invoke("forecast", "train", history, "--target", "sales", "--time-column", "t",
                      *extra, *TINY, "--out", out)
        assert done.returncode == 0, done.stderr
        trained[name] = out
    return folder, history, trained


def _predict(*args) -> dict:
    done = invoke("forecast", "predict", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_blank_target_rows_are_forecast_not_filled(models, tmp_path):
    _, history, trained = models
    future = _write(tmp_path / "future.csv", [*_rows(), *_future(60, 4)])
    plain = _predict(trained["uni"], history, "--horizon", "4")
    done = invoke("forecast", "predict", trained["uni"], future, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    # the forecast starts after the last observed value, and labels the file's own blank rows
    assert rows["values"] == plain["values"]
    assert rows["stamps"] == ["60", "61", "62", "63"]
    assert "interpolation" not in done.stderr
    assert _predict(trained["uni"], future, "--horizon", "4")["values"] == plain["values"]


def test_a_horizon_that_disagrees_with_the_blank_rows_is_refused(models, tmp_path):
    _, _, trained = models
    future = _write(tmp_path / "future.csv", [*_rows(), *_future(60, 4)])
    done = invoke("forecast", "predict", trained["uni"], future, "--horizon", "3")
    assert_one_line_failure(done, "4 rows", "empty", "--horizon 3", "--horizon 4", code=2)


def test_known_future_features_drive_a_forecast_beyond_the_horizon(models, tmp_path):
    _, history, trained = models
    direct = _predict(trained["multi"], history, "--horizon", "3")
    within = _write(tmp_path / "three.csv", [*_rows(), *_future(60, 3)])
    assert _predict(trained["multi"], within)["values"] == direct["values"]
    beyond = _write(tmp_path / "five.csv", [*_rows(), *_future(60, 5)])
    ahead = _predict(trained["multi"], beyond)
    assert ahead["method"] == "recursive" and len(ahead["values"]) == 5
    assert ahead["values"][:3] == pytest.approx(direct["values"])
    # other known prices give another forecast past the horizon: the rows' features are used
    dearer = _predict(trained["multi"], _write(tmp_path / "dear.csv",
                                               [*_rows(), *_future(60, 5, "9.0")]))
    assert dearer["values"][:3] == ahead["values"][:3]
    assert dearer["values"][3:] != ahead["values"][3:]


def test_beyond_the_horizon_a_blank_future_feature_is_refused(models, tmp_path):
    _, _, trained = models
    blank = _write(tmp_path / "blank.csv", [*_rows(), *_future(60, 4), "64,,"])
    done = invoke("forecast", "predict", trained["multi"], blank)
    assert_one_line_failure(done, "blank.csv:66", "'price'", "empty", code=1)


def test_interior_gaps_are_interpolated_naming_their_rows(models, tmp_path):
    _, _, trained = models
    rows = _rows()
    for index in (3, 10, 11, 12):
        rows[index] = f"{index},,{rows[index].split(',')[2]}"
    gaps = _write(tmp_path / "gaps.csv", rows)
    done = invoke("forecast", "predict", trained["uni"], gaps)
    assert done.returncode == 0, done.stderr
    # warnings wrap at the terminal's width, and a long path may fold inside a word
    said = "".join(done.stderr.split())
    assert "interpolation" in said and "gaps.csv:5,12-14)" in said
    # the advice names what this command does with the values, not training
    assert "toforecastfromvaluesyouchose" in said and "trainon" not in said


def test_training_leaves_blank_target_rows_out(tmp_path):
    future = _write(tmp_path / "future.csv", [*_rows(), *_future(60, 4)])
    done = invoke("forecast", "train", future, "--target", "sales", *TINY, "--json",
                  "--out", tmp_path / "f.safetensors")
    assert done.returncode == 0, done.stderr
    said = "".join(done.stderr.split())
    assert "interpolation" not in said
    assert "future.csv:62-65" in said and "leftout" in said
