"""Excel's ';' CSV with decimal commas: read as pandas' `read_csv(sep=';', decimal=',')` reads
it, where every number of a column has a decimal comma; anything ambiguous is one clear line."""

from __future__ import annotations

import pytest

from seqlab.seqmodels.forecasting import read_series

POINTS = "Datum,Umsatz,Preis\n2015-01-01,101.88,5.42\n2015-01-02,,5\n2015-01-03,-3,1e3\n"


def _write(path, text):
    path.write_text(text)
    return path


def test_a_semicolon_file_with_decimal_commas_reads_as_the_point_one(tmp_path):
    commas = POINTS.replace(",", ";").replace(".", ",")
    points = read_series(_write(tmp_path / "p.csv", POINTS), "Umsatz", ["Preis"])
    read = read_series(_write(tmp_path / "eu.csv", commas), "Umsatz", ["Preis"])
    assert read.values.tolist() == points.values.tolist()
    assert read.values[[0, 2]].tolist() == [[101.88, 5.42], [-3, 1000]]


def test_a_semicolon_file_with_decimal_points_still_reads(tmp_path):
    path = _write(tmp_path / "s.csv", POINTS.replace(",", ";"))
    assert read_series(path, "Umsatz").values[[0, 2], 0].tolist() == [101.88, -3]


@pytest.mark.parametrize("text, where, cell", [
    # a column that mixes both marks: '1.5' could be 1.5 or 15 (a thousands point)
    ("d;y\n1;101,88\n2;1.5\n", "m.csv:2", "101,88"),
    ("d;y\n1;1.234,5\n2;3\n", "m.csv:2", "1.234,5"),
    # a comma-separated file keeps decimal points: a quoted "1,5" is not read as 1.5
    ('d,y\n1,"1,5"\n2,3\n', "m.csv:2", "1,5"),
    # or a thousands separator: no number is suggested there
    ('d,y\n1,"1,234"\n2,3\n', "m.csv:2", "1,234"),
])
def test_ambiguous_decimal_commas_are_refused_naming_them(tmp_path, text, where, cell):
    with pytest.raises(ValueError) as error:
        read_series(_write(tmp_path / "m.csv", text), "y")
    message = str(error.value)
    assert where in message and repr(cell) in message and "decimal comma" in message
    assert "decimal=','" in message and "\n" not in message
    if text.startswith("d,"):
        assert "thousands separators are not read" in message and "1.234" not in message
