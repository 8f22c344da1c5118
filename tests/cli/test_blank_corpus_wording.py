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
    ["word2vec", "train", "F", "--threads", "1", "--out", "O.txt"],  # review3 item 7
    ["ngram", "train", "F", "--out", "O.arpa"],
    ["ngram", "train", "F", "--smoothing", "witten-bell", "--out", "O.npz"],
], ids=lambda c: " ".join(c[:3] if c[0] != "ngram" else c[:5]))
def test_blank_lines_are_named_and_an_empty_file_is_empty(files, tmp_path, command):
    blank, empty = files
    for given, words in ((blank, ["no tokens", "only blank lines or spaces"]),
                         (empty, ["the corpus is empty"])):
        args = [str(given) if a == "F" else a.replace("O.", f"{tmp_path}/out.") for a in command]
        done = invoke(*args)
        assert_one_line_failure(done, str(given), *words, code=1)
        assert "empty" not in done.stderr or given == empty, done.stderr


BLANK = "only blank lines or spaces"


@pytest.mark.parametrize(("content", "words"), [
    (b"\r\n\r\n", ["no tokens", BLANK]), ("\u00a0\n".encode(), ["no tokens", BLANK]),
    (b"\xef\xbb\xbf", ["the corpus is empty"]),  # a byte order mark alone is no text, as train's
], ids=["crlf", "nbsp", "bom"])
@pytest.mark.parametrize("command", [["word2vec", "train"], ["ngram", "train"]], ids=" ".join)
def test_other_blank_files_are_named(tmp_path, content, words, command):
    blank = tmp_path / "blank.txt"
    blank.write_bytes(content)
    out = tmp_path / ("out.arpa" if command[0] == "ngram" else "out.txt")
    done = invoke(*command, blank, "--out", out)
    assert_one_line_failure(done, str(blank), *words, code=1)
