"""Labelled CSV files whose delimiter is not the extension's: Excel writes ';' wherever the
decimal mark is a comma (most of Europe), and tab- or '|'-separated files are often named
.csv. The header line decides; a file without a header row is told so."""

import pytest

from seqlab.nlp.corpora.labelled import iter_labelled, read_labelled, read_table


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_header_line_gives_the_delimiter(tmp_path, delimiter):
    path = tmp_path / "reviews.csv"
    rows = ["label;text".replace(";", delimiter), f"pos{delimiter}great, truly great",
            f"neg{delimiter}boring"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = read_labelled(path)
    assert data.labels == ["pos", "neg"]
    assert data.texts == ["great, truly great", "boring"]


def test_a_semicolon_file_keeps_the_csv_quoting(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('\ufefflabel;text\r\npos;"a; b\r\nc"\r\nneg;"say ""hi"""\r\n',
                    encoding="utf-8")
    data = read_labelled(path)
    assert data.labels == ["pos", "neg"]
    assert data.texts == ["a; b\nc", 'say "hi"']


def test_a_header_that_splits_at_the_extensions_delimiter_is_read_as_before(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("label,text;notes\npos,good;fine\n", encoding="utf-8")
    data = read_table(path, text_column="text;notes")
    assert data.texts == ["good;fine"]


def test_a_file_without_a_header_row_is_told_so(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("pos,great movie\nneg,boring\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"has no column 'label' \(its columns: pos, great "
                                         r"movie\).*first row .* header"):
        list(iter_labelled(path))


def test_a_misspelt_column_is_not_called_a_missing_header(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("label,review\npos,great movie\n", encoding="utf-8")
    with pytest.raises(ValueError, match="--text-column") as error:
        list(iter_labelled(path))
    assert "header" not in str(error.value)
