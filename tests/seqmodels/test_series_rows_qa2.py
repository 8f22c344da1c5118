"""qa2's series-file findings: a file with only rows to forecast, whitespace-only rows, and
space or no-break-space thousands separators in a ';' file."""

import pytest

from seqlab.seqmodels.forecasting import read_series


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_whitespace_only_row_is_skipped_like_a_blank_one(tmp_path, newline, delimiter):
    rows = ["t,y", "1,2", "2,3", "   ", "3,4", " \t "]
    path = tmp_path / "trail.csv"
    path.write_bytes(newline.join(r.replace(",", delimiter) for r in rows).encode() +
                     newline.encode())
    assert read_series(path, "y").values[:, 0].tolist() == [2, 3, 4]


def test_only_rows_to_forecast_says_the_history_must_come_first(tmp_path):
    path = tmp_path / "only.csv"
    path.write_text("y,x\n,1\n,2\n,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"only rows to forecast \(.*only.csv:2-4\).*put the "
                                         r"history rows.* before them"):
        read_series(path, "y", ["x"])


@pytest.mark.parametrize("cell", ["1 234,5", "1\u00a0234,5", "1\u202f234", "-12 345 678,25"])
def test_a_space_thousands_separator_gets_the_thousands_rule(tmp_path, cell):
    path = tmp_path / "fr.csv"
    path.write_text(f"y;x\n1,5;1\n{cell};2\n", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        read_series(path, "y")
    message = str(error.value)
    assert "thousands separator" in message and "pick a numeric column" not in message
    assert cell.replace(" ", "").replace("\u00a0", "").replace("\u202f", "") in message
