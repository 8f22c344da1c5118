"""A byte-order mark is dropped only where the file's first bytes are one: a U+FEFF that
decoding with errors='ignore' leaves at the start (b"\\xff" then the mark's bytes) is text."""

import pytest

from seqlab.nlp.corpora.labelled import _read
from seqlab.seqmodels.forecasting import read_series
from seqlab.seqmodels.seq2seq.data import read_pairs

MARK = b"\xef\xbb\xbf"


@pytest.mark.parametrize("lead, kept", [(MARK, ""), (b"\xff" + MARK, "\ufeff")])
def test_a_folder_file_drops_only_a_leading_mark(tmp_path, lead, kept):
    path = tmp_path / "a.txt"
    path.write_bytes(lead + b"good film")
    assert _read(path, "ignore") == kept + "good film"


@pytest.mark.parametrize("lead, kept", [(MARK, ""), (b"\xff" + MARK, "\ufeff")])
def test_a_pairs_file_drops_only_a_leading_mark(tmp_path, lead, kept):
    path = tmp_path / "p.tsv"
    path.write_bytes(lead + b"abc\tcba\n")
    assert list(read_pairs(path, errors="ignore")) == [(kept + "abc", "cba")]


@pytest.mark.parametrize("lead, found", [(MARK, True), (b"\xff" + MARK, False)])
def test_a_series_finds_its_first_column_only_after_a_real_mark(tmp_path, lead, found):
    path = tmp_path / "s.csv"
    path.write_bytes(lead + b"sales,t\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(30)))
    if found:
        assert len(read_series(path, "sales", errors="ignore").values) == 30
    else:  # the column is named "\ufeffsales": not the one asked for
        with pytest.raises(ValueError):
            read_series(path, "sales", errors="ignore")
