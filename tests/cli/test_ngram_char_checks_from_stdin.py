"""`ngram train --level char` and `ngram eval` check text from standard input as it streams,
as they check a file before counting it: the first refused character (a literal U+2581; for an
.arpa --out a tab, \\r, \\v or \\f) ends the command with one line naming standard input's line,
before the rest of the text is read (stop 21 checked stdin only when writing the ARPA file,
after the whole count, and let a literal U+2581 through)."""

from __future__ import annotations

import io
import sys

import pytest
from inprocess import assert_one_line_failure, invoke


class Blocks(io.BufferedIOBase):
    """A binary stdin that gives its blocks one read at a time and fails a read past them:
    a command that asks for more has not stopped where the refused character was."""

    def __init__(self, *blocks: bytes) -> None:
        self.blocks = list(blocks)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if not self.blocks:
            raise AssertionError("read past the refused character")
        return self.blocks.pop(0)

    read1 = read


def _stdin(monkeypatch, *blocks: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(Blocks(*blocks), encoding="utf-8"))


def _train(tmp_path, out: str):
    return invoke("ngram", "train", "-", "--level", "char", "--order", "2",
                  "--out", tmp_path / out, "-q")


@pytest.mark.parametrize("out", ["m.arpa", "m.npz"])
def test_train_refuses_a_literal_space_mark_as_it_streams(tmp_path, monkeypatch, out):
    _stdin(monkeypatch, "ab cd\nef\ngh\u2581ij\n".encode())
    done = _train(tmp_path, out)
    assert_one_line_failure(done, "standard input line 3", "U+2581", "train --level word")
    assert not (tmp_path / out).exists()


def test_a_space_mark_split_across_two_reads_is_found(tmp_path, monkeypatch):
    mark = "\u2581".encode()
    _stdin(monkeypatch, b"ab\ncd" + mark[:1], mark[1:] + b"ef\n")
    assert_one_line_failure(_train(tmp_path, "m.npz"), "standard input line 2", "U+2581")


def test_train_to_arpa_refuses_a_tab_naming_the_line(tmp_path, monkeypatch):
    _stdin(monkeypatch, b"ab cd\nef\tgh\n")
    done = _train(tmp_path, "m.arpa")
    assert_one_line_failure(done, "standard input line 2", "tab", ".npz")
    assert not (tmp_path / "m.arpa").exists()


def test_the_same_stdin_trains_to_npz_and_clean_text_to_arpa(tmp_path, monkeypatch):
    _stdin(monkeypatch, b"ab cd\nef\tgh\n", b"")
    assert _train(tmp_path, "m.npz").returncode == 0
    _stdin(monkeypatch, b"ab cd\nef gh\n", b"")
    done = _train(tmp_path, "m.arpa")
    assert done.returncode == 0, done.stderr


def test_eval_refuses_a_literal_space_mark_on_stdin(tmp_path, monkeypatch):
    _stdin(monkeypatch, b"ab cd\nab cd\nef gh\n", b"")
    assert _train(tmp_path, "m.arpa").returncode == 0
    _stdin(monkeypatch, "ab\u2581cd\n".encode())
    done = invoke("ngram", "eval", tmp_path / "m.arpa", "-")
    assert_one_line_failure(done, "standard input line 1", "U+2581")
    _stdin(monkeypatch, b"ab cd\n", b"")
    assert invoke("ngram", "eval", tmp_path / "m.arpa", "-").returncode == 0
