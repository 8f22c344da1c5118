"""A compressed CSV / TSV (gzip bytes under a .csv or .tsv name) given to classify, forecast
or seq2seq is named as compressed with the pipe that feeds it, as a compressed corpus is, not
as "not UTF-8 text (byte offset 1)"."""

import gzip

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.mark.parametrize(("name", "text", "command"), [
    ("rows.csv", "text,label\nabc,a\ncab,b\n", ("classify", "train")),
    ("series.csv", "value\n" + "".join(f"{i}\n" for i in range(40)),
     ("forecast", "train", "--target", "value")),
    ("pairs.tsv", "abc\tcab\nbca\tabc\n", ("seq2seq", "train")),
])
def test_a_compressed_table_is_named_with_its_pipe(tmp_path, name, text, command):
    table = tmp_path / name
    table.write_bytes(gzip.compress(text.encode()))
    out = tmp_path / "m.safetensors"
    done = invoke(*command[:2], table, *command[2:], "-o", out, "--steps", "1")
    assert_one_line_failure(done, "gzip-compressed", f"gzip -dc {table} | seqlab")
    assert not out.exists()
