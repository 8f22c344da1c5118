"""Labelled CSV / TSV files read as spreadsheets and scikit-learn users expect."""

import pytest

from seqlab.nlp.corpora.labelled import read_table


def test_a_quoted_csv_field_keeps_its_newline_and_delimiter(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('label,text\npos,"Great, truly\ngreat"\nneg,boring\n', encoding="utf-8")
    data = read_table(path)
    assert data.labels == ["pos", "neg"]
    assert data.texts == ["Great, truly\ngreat", "boring"]


def test_a_stray_quote_in_a_tsv_does_not_swallow_the_rows_after_it(tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_text('label\ttext\npos\t"Great movie, 10/10\nneg\tboring\npos\tfine "ok"\n',
                    encoding="utf-8")
    data = read_table(path)
    assert data.labels == ["pos", "neg", "pos"]
    assert data.texts == ['"Great movie, 10/10', "boring", 'fine "ok"']


def test_a_ragged_row_names_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("label,text\npos,good\nneg\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:3: 1 fields"):
        read_table(path)
