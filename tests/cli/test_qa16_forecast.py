"""QA round 16, `seqlab forecast`: undecodable files, non-finite or overflowing values and
histories longer than the series end in one line naming the file, row, column or option."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot


def _series(folder, name="s.csv", rows=120, change=None):
    lines = ["t,sales"] + [f"{i},{10 + (i % 7) * 1.5}" for i in range(rows)]
    if change:
        change(lines)
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def forecaster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fc")
    series = _series(folder)
    done = invoke("forecast", "train", series, "--target", "sales", "--hidden", "8",
                  "--steps", "2", "--out", folder / "f.safetensors", "-q")
    assert done.returncode == 0, done.stderr
    return folder / "f.safetensors"


@pytest.mark.parametrize("cell, words", [
    ("inf", ["s.csv:42", "'sales'", "'inf'", "not a finite number"]),
    ("-inf", ["s.csv:42", "'sales'", "not a finite number"]),
    ("1e308", ["s.csv:42", "'sales'", "too large"]),
    ("-1e308", ["s.csv:42", "'sales'", "too large"]),
])
def test_non_finite_and_overflowing_values_are_refused(tmp_path, forecaster, cell, words):
    def put(lines):
        lines[41] = f"40,{cell}"

    series = _series(tmp_path, change=put)
    before = snapshot(tmp_path)
    done = invoke("forecast", "train", series, "--target", "sales", "--steps", "2",
                  "--out", tmp_path / "new.safetensors", "-q")
    assert_one_line_failure(done, *words, code=1)
    assert_one_line_failure(invoke("forecast", "predict", forecaster, series), *words, code=1)
    assert snapshot(tmp_path) == before


def test_a_non_utf8_csv_names_the_file_and_line(tmp_path, forecaster):
    series = _series(tmp_path)
    data = series.read_bytes().split(b"\n")
    data[3] = data[3] + b"\xff\xfe"
    series.write_bytes(b"\n".join(data))
    for args in (("forecast", "train", series, "--target", "sales", "--steps", "2",
                  "--out", tmp_path / "n.safetensors"), ("forecast", "predict", forecaster,
                                                         series)):
        assert_one_line_failure(invoke(*args), "s.csv:4", "not UTF-8", "convert", code=1)
    assert not (tmp_path / "n.safetensors").exists()


@pytest.mark.parametrize("options, rows, words", [
    (["--season", "10000"], 120, ["--season (10000)", "120-row", "lower it to"]),
    (["--ar-order", "500"], 120, ["--ar-order 500", "lower --ar-order"]),
    ([], 3, ["window", "3-row", "at least"]),
])
def test_eval_says_which_history_is_too_long(tmp_path, forecaster, options, rows, words):
    series = _series(tmp_path, rows=rows)
    done = invoke("forecast", "eval", forecaster, series, *options)
    assert_one_line_failure(done, *words, code=1)
    assert "shorter than the horizon" not in done.stderr
