"""Every command's --help reads cleanly in an 80-column terminal (QA stop 18, finding 11): a
prose paragraph of a docstring is wrapped by the terminal's width, not by the line breaks of the
source (which left "(a folder is refused), as" and a lone "as .txt) but ..." line), and each
example line of an Examples block, and a single `Example: seqlab ...` line, fits on one line."""

from __future__ import annotations

import itertools

import pytest
from inprocess import invoke

WIDTH = 80


def command_paths() -> list[list[str]]:
    import typer

    from seqlab.cli import app

    app._register()
    paths: list[list[str]] = []

    def walk(command, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app.app), [])
    return paths


def description(help_text: str) -> list[str]:
    """The help's text between the usage line and the first panel of options."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith("╭")), len(lines))
    return [line.rstrip() for line in lines[start:end]]


EXAMPLE = ("seqlab ", "echo ")


def is_example(line: str) -> bool:
    """An example command: a line of an Examples block or a single `Example: ...` line."""
    text = line.strip()
    command = text.removeprefix("Example:").strip() if text.startswith("Example:") else text
    return command.startswith(EXAMPLE)


def starts_an_item(line: str) -> bool:
    """An example command, a list item or an Examples heading: a line of its own by design."""
    return line.strip().startswith((*EXAMPLE, "- ", "Example"))


def ragged_lines(lines: list[str]) -> list[str]:
    """Each pair of lines of one paragraph where the break came too early: the next line's
    first word would have fitted on the line (a paragraph broken where its source line
    ended), or an example command goes on over two lines (it should fit whole)."""
    found = []
    for line, following in itertools.pairwise(lines):
        if not line.strip() or not following.strip() or starts_an_item(following):
            continue
        # the help text has one space of padding on each side: WIDTH - 2 columns of text
        fits = len(line) + 1 + len(following.split()[0]) <= WIDTH - 1
        if fits or is_example(line):
            found.append(f"{line.strip()!r} / {following.strip()!r}")
    return found


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "seqlab")
def test_help_is_wrapped_for_80_columns(path, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    done = invoke(*path, "--help")
    assert done.returncode == 0, done.stderr
    lines = description(done.stdout)
    assert all(len(line) <= WIDTH for line in lines)
    assert ragged_lines(lines) == []
