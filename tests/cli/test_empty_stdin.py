"""Empty stdin, one rule (qaA 20 item 8): stdin is read as a file with the same bytes would
be. A command that answers line by line (`classify predict`, `seq2seq translate`) gives no
lines for no lines and exits 0, as `sort`, `wc`, sacrebleu and fairseq-interactive do
(`classify predict` is tested in test_classify_qa18.py); a command that reads one text there
(generate's prompt) takes the empty text, as the option giving it (`--prompt ''`) does."""

from __future__ import annotations

import io
import sys

from inprocess import invoke

from seqlab.cli.commands.seq2seq import _input_lines


def _empty_stdin(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8"))


def test_translate_reads_no_lines_from_empty_stdin(monkeypatch):
    _empty_stdin(monkeypatch)
    assert list(_input_lines("-", False, 1000)) == []


def test_generate_takes_empty_stdin_as_the_empty_prompt(trained_model, monkeypatch):
    greedy = ("generate", trained_model, "--greedy", "--length", "12")
    given = invoke(*greedy, "--prompt", "")
    _empty_stdin(monkeypatch)
    from_stdin = invoke(*greedy, "-")
    assert given.returncode == from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == given.stdout and given.stdout.strip()
