"""Series CSV files as spreadsheets write them (';' where the decimal mark is a comma, tabs in
a .csv), without a header row, and with time stamps out of order or repeated."""

import numpy as np
import pytest

from seqlab.seqmodels.forecasting import read_series

ROWS = [("2024-01-01", "10.5", "3"), ("2024-01-02", "11", "4"), ("2024-01-03", "12.25", "5")]


def _write(path, rows, delimiter=","):
    path.write_text("\n".join(delimiter.join(row) for row in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_header_line_gives_the_delimiter(tmp_path, delimiter):
    path = _write(tmp_path / "sales.csv", [("date", "sales", "price"), *ROWS], delimiter)
    series = read_series(path, "sales", ["price"], time_column="date")
    np.testing.assert_array_equal(series.values, [[10.5, 3], [11, 4], [12.25, 5]])
    assert series.stamps == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_a_file_without_a_header_row_is_told_so(tmp_path):
    path = _write(tmp_path / "sales.csv", ROWS)
    with pytest.raises(ValueError, match=r"its columns: 2024-01-01, 10.5, 3\).*first row .* "
                                         r"header"):
        read_series(path, "sales")


def test_a_misspelt_target_is_not_called_a_missing_header(tmp_path):
    path = _write(tmp_path / "sales.csv", [("date", "sales"), *[r[:2] for r in ROWS]])
    with pytest.raises(ValueError, match="--target") as error:
        read_series(path, "sale")
    assert "header" not in str(error.value)


@pytest.mark.parametrize("stamps", [
    ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-04"],
    ["1949-01", "1949-03", "1949-02", "1949-04"],
    ["2024-01-01 10:00", "2024-01-01 12:00", "2024-01-01T11:00", "2024-01-01 13:00"],
    ["1999", "2001", "2000", "2002"],
    ["9", "11", "10", "12"],  # numbers compare as numbers ("10" < "9" as text)
])
def test_rows_out_of_time_order_are_refused_at_the_first_one(tmp_path, stamps):
    """Training would learn from the future and hold out the past: refused, naming the row,
    as pandas' `asfreq`/`resample` need a monotonic index and darts refuses one that is not."""
    rows = [("date", "sales"), *((stamp, str(i)) for i, stamp in enumerate(stamps))]
    path = _write(tmp_path / "sales.csv", rows)
    with pytest.raises(ValueError, match=rf"sales.csv:4: time stamp '{stamps[2]}' \(column "
                                         rf"'date'\) comes before '{stamps[1]}' on line 3.*"
                                         "sort the rows"):
        read_series(path, "sales", time_column="date")


def test_a_reversed_file_is_refused(tmp_path):
    rows = [(f"2024-01-{day:02d}", str(day)) for day in range(1, 11)]
    path = _write(tmp_path / "sales.csv", [("date", "sales"), *reversed(rows)])
    with pytest.raises(ValueError, match=r"sales\.csv:3: time stamp '2024-01-09'"):
        read_series(path, "sales", time_column="date")


@pytest.mark.parametrize("stamps", [["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"],
                                    ["3", "4", "4.0", "5"],
                                    ["Mon", "Tue", "Tue", "Wed"]])
def test_a_repeated_time_stamp_is_refused(tmp_path, stamps):
    rows = [("date", "sales"), *((stamp, str(i)) for i, stamp in enumerate(stamps))]
    path = _write(tmp_path / "sales.csv", rows)
    with pytest.raises(ValueError, match=rf"sales.csv:4: time stamp '{stamps[2]}' \(column "
                                         r"'date'\) repeats line 3's.*one row per time step"):
        read_series(path, "sales", time_column="date")


def test_stamps_in_order_or_in_a_form_without_an_order_are_read(tmp_path):
    """Stamps seqlab cannot compare (a month name, 01/02/2024: day or month first?) are
    checked for repeats only; empty ones are not checked."""
    for stamps in (["2024-01-30", "2024-02-01", "2024-02-02T00:30"], ["Jan", "Feb", "Mar"],
                   ["02/01/2024", "01/02/2024", "03/02/2024"], ["2024-01-01", "", "", "x"]):
        rows = [("date", "sales"), *((stamp, str(i)) for i, stamp in enumerate(stamps))]
        series = read_series(_write(tmp_path / "ok.csv", rows), "sales", time_column="date")
        assert series.stamps == stamps
    rows = [("date", "sales"), ("2024-01-02", "1"), ("2024-01-01", "2")]
    assert len(read_series(_write(tmp_path / "any.csv", rows), "sales").values) == 2
