"""`seq2seq translate FILE` (and stdin) splits lines at "\\n" only, as its help and the README
say: a "\\r\\n" end loses its "\\r", a lone "\\r" stays inside its line."""

from __future__ import annotations

import io

from seqlab.cli.commands.seq2seq import _input_lines


def test_a_file_is_split_at_newlines_only(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\rtwo\nthree\r\nfour")
    assert list(_input_lines(str(path), False, 1000)) == ["one\rtwo", "three", "four"]


def test_stdin_is_split_at_newlines_only(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"one\rtwo\nthree\r\nfour"), newline="\n")
    monkeypatch.setattr("sys.stdin", stdin)
    assert list(_input_lines("-", False, 1000)) == ["one\rtwo", "three", "four"]
