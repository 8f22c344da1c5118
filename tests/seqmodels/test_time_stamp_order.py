"""Time stamps run forward: missing stamps (`forecasting.MISSING`, any case, and NaN) are
skipped and the order check stays on for the rest; nanosecond epochs compare exactly; naive
and aware stamps are not mixed (pandas refuses it too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqlab.seqmodels.forecasting import read_series
from seqlab.seqmodels.time_stamps import check_time_order


def _check(stamps: list[str]) -> None:
    check_time_order(stamps, list(range(2, 2 + len(stamps))), "t", lambda line: f"f:{line}")


@pytest.mark.parametrize("stamps", [
    ["2024-01-01", "NA", "2024-01-03", "NA", "2024-01-05"],
    ["2024-01-01", "null", "2024-01-02", "None", "?", "nan", "NaN", "2024-01-03"],
    ["5", "nan", "6", "NaN", "-nan", "7"],
    ["Jan 2024", "NA", "Feb 2024", "na"],  # no known order: repeats only, missing skipped
    ["", "NA", "nan"],
])
def test_missing_stamps_are_skipped(stamps):
    _check(stamps)


@pytest.mark.parametrize(("stamps", "line"), [
    (["2024-01-03", "NA", "2024-01-01"], 4),
    (["5", "nan", "3"], 4),
    (["5", "NaN", "3"], 4),
    (["5", "-nan", "3"], 4),
])
def test_missing_stamps_leave_the_order_check_on(stamps, line):
    with pytest.raises(ValueError, match=rf"^f:{line}: time stamp .* comes before"):
        _check(stamps)


def test_nanosecond_epochs_compare_exactly():
    _check(["1700000000000000000", "1700000000000000100", "1700000000000000200"])
    with pytest.raises(ValueError, match=r"f:3: .* comes before"):
        _check(["1700000000000000100", "1700000000000000000"])
    with pytest.raises(ValueError, match=r"f:3: .* repeats line 2"):
        _check(["1700000000000000100", "1700000000000000100"])
    _check(["999", "1000.5", "1_001"])  # ints and floats together


@pytest.mark.parametrize("stamps", [
    ["2024-01-01T00:00", "2024-01-01T02:00+01:00"],
    ["2024-01-01T00:00+00:00", "2024-01-02"],
])
def test_naive_and_aware_stamps_are_not_mixed(stamps):
    with pytest.raises(ValueError, match=r"^f:3: time stamp .* time zone"):
        _check(stamps)


def test_aware_stamps_compare_in_utc():
    _check(["2024-03-10T01:30:00-05:00", "2024-03-10T03:10:00-04:00"])
    with pytest.raises(ValueError, match="comes before"):
        _check(["2024-01-01T10:00+02:00", "2024-01-01T07:30+00:00"])


def test_a_series_with_missing_stamps_is_read(tmp_path: Path):
    path = tmp_path / "na.csv"
    path.write_text("date,value\n2024-01-01,1\nNA,2\n2024-01-03,3\nNA,4\n2024-01-05,5\n",
                    encoding="utf-8")
    series = read_series(path, "value", time_column="date")
    assert series.values.ravel().tolist() == [1, 2, 3, 4, 5]
