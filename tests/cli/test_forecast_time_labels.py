"""`forecast predict` labels its rows with the next time stamps when the model was trained
with --time-column and the stamps have a regular step, and says why not otherwise; `forecast
eval`'s table gives every cell the same significant digits (qaA s20 LOW 11)."""

from __future__ import annotations

import calendar
import json
from datetime import date

import pytest
from inprocess import invoke

from seqlab.cli.commands.forecast import metric_cell


def _series(folder, name, years):
    path = folder / name
    path.write_text("year,sales\n" + "".join(f"{y},{10 + (i % 7) * 1.5}\n"
                                              for i, y in enumerate(years)))
    return path


@pytest.fixture(scope="module")
def forecaster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fc_stamps")
    series = _series(folder, "s.csv", range(1900, 2020))
    out = folder / "f.safetensors"
    done = invoke("forecast", "train", series, "--target", "sales", "--time-column", "year",
                  "--hidden", "8", "--steps", "2", "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    return out, series


def test_rows_are_the_next_years(forecaster):
    model, series = forecaster
    done = invoke("forecast", "predict", model, series, "--horizon", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "year,sales"
    assert [line.split(",")[0] for line in lines[1:]] == ["2020", "2021", "2022"]
    report = json.loads(invoke("forecast", "predict", model, series, "--horizon", "3",
                               "--json").stdout)
    assert report["stamps"] == ["2020", "2021", "2022"] and len(report["values"]) == 3


def test_irregular_stamps_number_the_rows_and_say_why(forecaster, tmp_path):
    model, _ = forecaster
    years = [*range(1900, 2019), 2025]  # the last gap is 6 years
    done = invoke("forecast", "predict", model, _series(tmp_path, "gap.csv", years),
                  "--horizon", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "step,sales"
    assert [line.split(",")[0] for line in done.stdout.splitlines()[1:]] == ["1", "2"]
    assert "regular step" in done.stderr and "after 2025" in done.stderr


def test_yearly_dates_continue_on_the_calendar(forecaster, tmp_path):
    """review3 s20 MEDIUM-LOW 1: a yearly date is the same day of the next year, not 365 days
    on (and leap years no longer leave the rows numbered)."""
    model, _ = forecaster
    dates = [f"{year}-03-15" for year in range(1900, 2020)]
    done = invoke("forecast", "predict", model, _series(tmp_path, "dates.csv", dates),
                  "--horizon", "2")
    assert done.returncode == 0, done.stderr
    assert [line.split(",")[0] for line in done.stdout.splitlines()] == [
        "year", "2020-03-15", "2021-03-15"]


@pytest.mark.parametrize("value, text", [(36.1, "36.10"), (25.4435, "25.44"), (0.5, "0.5000"),
                                         (1234.5, "1234"), (123456.0, "1.235e+05")])
def test_metric_cells_keep_their_digits(value, text):
    assert metric_cell(value) == text


def _month_end(year: int, month: int) -> str:
    return f"{date(year, month, calendar.monthrange(year, month)[1]).isoformat()}"


@pytest.mark.parametrize("stamps, expected", [
    ([f"{2000 + i // 4}-Q{i % 4 + 1}" for i in range(120)], ["2030-Q1", "2030-Q2"]),
    ([_month_end(2000 + i // 12, i % 12 + 1) for i in range(120)], ["2010-01-31", "2010-02-28"]),
])
def test_quarters_and_month_ends_label_the_rows(forecaster, tmp_path, stamps, expected):
    """QA s20 Q2 LOW 7: pandas' quarter periods (2000-Q1, as its PeriodIndex prints with a
    dash) and month-end dates (its 'ME' frequency) continue."""
    model, _ = forecaster
    done = invoke("forecast", "predict", model, _series(tmp_path, "q.csv", stamps),
                  "--horizon", "2")
    assert done.returncode == 0, done.stderr
    assert [line.split(",")[0] for line in done.stdout.splitlines()] == ["year", *expected]
