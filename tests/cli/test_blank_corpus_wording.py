"""A file of blank lines is not "empty": it has bytes and no tokens, and the message says so
(QA stop 19, finding 9); a file of no bytes is still "empty"."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.fixture()
def files(tmp_path):
    blank = tmp_path / "blank.txt"
    blank.write_text("\n" * 5000 + "  \t \n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    return blank, empty


@pytest.mark.parametrize("command", [
    ["tokenize", "train", "F", "--level", "bpe", "--out", "O.json"],
    ["tokenize", "train", "F", "--level", "word", "--out", "O.json"],
    ["train", "F", "--level", "word", "--out", "O.safetensors"],
], ids=lambda c: " ".join(c[:3]))
def test_blank_lines_are_named_and_an_empty_file_is_empty(files, tmp_path, command):
    blank, empty = files
    for given, words in ((blank, ["no tokens", "only blank lines or spaces"]),
                         (empty, ["the corpus is empty"])):
        args = [str(given) if a == "F" else a.replace("O.", f"{tmp_path}/out.") for a in command]
        done = invoke(*args)
        assert_one_line_failure(done, str(given), *words, code=1)
        assert "empty" not in done.stderr or given == empty, done.stderr
