"""The delimiter a CSV header shows: the extension's while it yields every asked-for column
(a single column named "sales;eur" stays one column), else the one that does; labelled tables
read from a pipe keep their header; the readers load neither seqmodels nor Numba for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.autograd.csv_header import sniff_delimiter
from seqlab.nlp.corpora.labelled import read_table
from seqlab.seqmodels.forecasting import read_series


@pytest.mark.parametrize(("header", "name"), [("sales;eur", "sales;eur"),
                                              ("price|usd", "price|usd"),
                                              ("a\tb", "a\tb"),
                                              ('"sales;eur"', "sales;eur")])
def test_a_single_column_whose_name_holds_a_candidate_stays_one_column(tmp_path, header, name):
    path = tmp_path / "s.csv"
    path.write_text(f"{header}\n1\n2\n3\n", encoding="utf-8")
    assert read_series(path, name).values.ravel().tolist() == [1, 2, 3]


def test_the_extensions_delimiter_is_kept_while_it_yields_the_columns():
    assert sniff_delimiter("sales;eur", ",", ("sales;eur",)) == ","
    assert sniff_delimiter('label,"text;body"', ",", ("label", "text;body")) == ","
    assert sniff_delimiter("label;text", ",", ("label", "text")) == ";"
    assert sniff_delimiter("a;b|label|text", ",", ("label", "text")) == "|"
    assert sniff_delimiter("label;text", ",") == ";"  # no columns asked: as before


def test_a_semicolon_series_still_sniffs(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("date;value\n2024-01-01;1,5\n2024-01-02;2\n".replace("1,5", "1.5"),
                    encoding="utf-8")
    assert read_series(path, "value", time_column="date").values.ravel().tolist() == [1.5, 2]


def test_a_labelled_table_read_from_a_pipe_keeps_its_header(tmp_path):
    src = tmp_path / "l.csv"
    src.write_text("label;text\n" + "".join(f"pos;hello {i}\n" for i in range(5)),
                   encoding="utf-8")
    code = ("from pathlib import Path; from seqlab.nlp.corpora.labelled import read_table; "
            "t = read_table(Path('/dev/stdin')); print(t.labels, t.texts[0])")
    with open(src, "rb") as stream:
        done = subprocess.run([sys.executable, "-c", code], stdin=stream, capture_output=True,
                              text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['pos', 'pos', 'pos', 'pos', 'pos'] hello 0"


def test_a_pipe_through_cat_is_read_whole(tmp_path):
    src = tmp_path / "l.csv"
    src.write_text("label,text\n" + "".join(f"pos,hello {i}\n" for i in range(5)),
                   encoding="utf-8")
    code = ("from pathlib import Path; from seqlab.nlp.corpora.labelled import read_table; "
            "print(len(read_table(Path('/dev/stdin'))))")
    cat = subprocess.Popen(["cat", str(src)], stdout=subprocess.PIPE)
    done = subprocess.run([sys.executable, "-c", code], stdin=cat.stdout, capture_output=True,
                          text=True, timeout=120, check=False)
    cat.stdout.close()
    cat.wait()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"


def test_reading_labelled_tables_loads_neither_seqmodels_nor_numba():
    code = ("import sys, seqlab.nlp.corpora.labelled; "
            "print(sorted(m for m in sys.modules if m.startswith('seqlab.seqmodels') "
            "or m == 'numba'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_quoted_header_with_delimiters_in_a_name_is_read(tmp_path: Path):
    path = tmp_path / "l1.csv"
    path.write_text('label,"text;body"\npos,"a;b"\n', encoding="utf-8")
    table = read_table(path, "label", "text;body")
    assert table.texts == ["a;b"] and table.labels == ["pos"]
