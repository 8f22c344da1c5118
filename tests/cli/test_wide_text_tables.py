"""qaA s24 finding 2: UTF-16 (and UTF-32) tables are named as such, with the iconv line that
converts them, by every reader (labelled CSV/TSV/JSONL, series CSV, pair TSV), as plain text
is: "--errors replace" would only give garbage. A table that is merely not UTF-8 says where
(its line and byte offset: no "after line 0")."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke

from seqlab.nlp.corpora.labelled import read_jsonl, read_table
from seqlab.seqmodels.forecasting import read_series
from seqlab.seqmodels.seq2seq.data import read_pairs

LABELLED = "label,text\npos,good film\nneg,bad film\n"
SERIES = "YEAR,SUNACTIVITY\n1700,5.0\n1701,11.0\n1702,16.0\n"
PAIRS = "abc\tA B C\ncab\tC A B\n"


def _readers(tmp_path):
    return [(tmp_path / "t.csv", LABELLED, read_table),
            (tmp_path / "t.jsonl", '{"label": "pos", "text": "good"}\n', read_jsonl),
            (tmp_path / "s.csv", SERIES, lambda path: read_series(path, "SUNACTIVITY")),
            (tmp_path / "p.tsv", PAIRS, lambda path: list(read_pairs(path)))]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_every_table_reader_names_wide_text_with_iconv(tmp_path, encoding):
    for path, text, read in _readers(tmp_path):
        path.write_bytes(text.encode(encoding) if encoding != "utf-16-be"
                         else b"\xfe\xff" + text.encode(encoding))
        with pytest.raises(ValueError, match=r"looks like UTF-\d\d text .*iconv -f UTF-") as caught:
            read(path)
        assert "errors" not in str(caught.value), (path, caught.value)


def test_every_table_reader_says_where_bytes_are_not_utf8(tmp_path):
    for path, text, read in _readers(tmp_path):
        lines = text.splitlines(keepends=True)  # a byte that is not UTF-8 opens the last line
        data = "".join(lines[:-1]).encode() + b"\xe9" + lines[-1].encode()
        path.write_bytes(data)
        with pytest.raises(ValueError) as caught:
            read(path)
        message = str(caught.value)
        assert f"{path}:{len(lines)}: not UTF-8 text" in message, message
        assert f"(byte offset {data.index(0xe9)})" in message, message
        assert "errors='replace'" in message, message


def test_classify_train_names_utf16_data_and_iconv(tmp_path):
    data = tmp_path / "u16.csv"
    data.write_bytes(LABELLED.encode("utf-16"))
    done = invoke("classify", "train", data, "--steps", "1", "--out", tmp_path / "m.safetensors")
    assert_one_line_failure(done, "looks like UTF-16", "iconv -f UTF-16 -t UTF-8", code=1)
    assert "--errors" not in done.stderr
