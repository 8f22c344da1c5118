"""A pipe as an input (qaA s22, item 7): `<(zcat x.gz)` (/dev/fd/63) or a FIFO said "input
file or folder not found" or "not a regular file (a device, pipe or socket)", and named no
way out. seqlab reads an input file more than once (its fingerprint for the id caches, then
the text), and a pipe can be read only once: every command now says that, and names '-'
(stdin, which the commands that read FILES spool to a file and read again). No writer is ever
attached here: the check looks at the file's type and never opens the pipe (which would
block)."""

from __future__ import annotations

import os

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command, out", [
    (("ngram", "train"), "m.arpa"), (("train",), "m.safetensors"),
    (("tokenize", "train"), "t.json"), (("word2vec", "train"), "v.txt"),
    (("classify", "train"), "c.safetensors"), (("seq2seq", "train"), "s.safetensors"),
])
def test_a_pipe_input_names_the_way_out(command, out, fifo, tmp_path):
    done = invoke(*command, fifo, "--out", tmp_path / out)
    assert_one_line_failure(done, str(fifo), "is a pipe", "read only once", "'-'")
    assert "not found" not in done.stderr


def test_a_pipe_prompt_file_is_named_a_pipe(fifo):
    from seqlab.cli.errors import CliError, require_file

    with pytest.raises(CliError, match=r"is a pipe .* read only once"):
        require_file(fifo, "prompt file")
