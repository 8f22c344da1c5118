"""One rule for `error:` and `warning:` lines: in a terminal both wrap at word boundaries to
its width (80 columns here); written to a file or a pipe each stays one line, so a log keeps
one line per message for grep, and the one-line-error contract holds there. (Errors once never
wrapped, warnings always did.)"""

from __future__ import annotations

import contextlib
import io

import pytest
from inprocess import invoke

from seqlab.cli import console

LONG = "a-folder-with-a-long-name/" * 5


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(console.stderr, "_force_terminal", True)
    monkeypatch.setattr(console.stderr, "_width", 80)
    monkeypatch.setattr(console.stderr, "_color_system", None)  # plain text to compare


def _warning() -> str:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        console.Output().warn(f"the words in {LONG} are many and this warning is long")
    return err.getvalue()


def _error(tmp_path) -> str:
    done = invoke("info", tmp_path / LONG / "model.safetensors")
    assert done.returncode == 1
    return done.stderr


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_to_a_file_each_message_is_one_line(tmp_path):
    for text in (_warning(), _error(tmp_path)):
        assert len(_lines(text)) == 1 and len(text) > 100, text


def test_in_a_terminal_both_wrap_to_its_width(tmp_path, terminal):
    for text in (_warning(), _error(tmp_path)):
        lines = _lines(text)
        assert len(lines) >= 2 and all(len(line) <= 80 for line in lines), text


SAVED = ("Saved a-classifier.safetensors after 3 steps (--steps reached); validation accuracy "
         "0.5000, macro-F1 0.3333 (bag-of-words baseline 0.5000 / 0.3333); 2 of 9 texts were "
         "longer than --max-length 3")


def _saved_line(wrap: bool) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        console.Output().result({}, SAVED, wrap=wrap)
    return out.getvalue()


def test_a_training_result_line_wraps_in_a_terminal_and_stays_one_line_in_a_pipe(monkeypatch):
    """qa2 item 9: classify train's closing Saved line was 138 columns in an 80-column
    terminal; it follows the error/warning rule, and text results (decode) stay as written."""
    assert _saved_line(True) == SAVED + "\n"  # not a terminal: one line, for grep
    monkeypatch.setattr(console.stdout, "_force_terminal", True)
    monkeypatch.setattr(console.stdout, "_width", 80)
    monkeypatch.setattr(console.stdout, "_color_system", None)
    lines = _lines(_saved_line(True))
    assert len(lines) > 1 and max(map(len, lines)) <= 80
    assert " ".join(lines).split() == SAVED.split()
    assert _saved_line(False) == SAVED + "\n"  # a result without wrap is written as it is
