"""A compressed CSV / TSV (gzip bytes, under a .csv / .tsv name or a .gz one) given to
classify, forecast or seq2seq is named as compressed, not as "not UTF-8 text (byte offset 1)"
or a wrong extension, with the command that decompresses it to a file: these commands read no
stdin, so the corpus readers' `gzip -dc FILE | seqlab ... -` would not work."""

import gzip

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.mark.parametrize(("name", "text", "command"), [
    ("rows.csv", "text,label\nabc,a\ncab,b\n", ("classify", "train")),
    ("series.csv", "value\n" + "".join(f"{i}\n" for i in range(40)),
     ("forecast", "train", "--target", "value")),
    ("pairs.tsv", "abc\tcab\nbca\tabc\n", ("seq2seq", "train")),
])
@pytest.mark.parametrize("gz", [False, True])
def test_a_compressed_table_is_named_with_its_command(tmp_path, name, text, command, gz):
    table = tmp_path / (name + ".gz" if gz else name)
    table.write_bytes(gzip.compress(text.encode()))
    out = tmp_path / "m.safetensors"
    done = invoke(*command[:2], table, *command[2:], "-o", out, "--steps", "1")
    plain = tmp_path / (name if gz else name.replace(".", ".plain."))
    assert_one_line_failure(done, "gzip-compressed", f"gzip -dc {table} > {plain}")
    assert "| seqlab" not in done.stderr and not out.exists()
