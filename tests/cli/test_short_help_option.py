"""`-h` asks for help wherever `--help` does (stop 23's note: only the root took it; `seqlab
train -h` was "No such option: -h"), except where a command reads a dashed word itself:
`word2vec similar` takes `-word` to subtract, so `-h` there is a word (and `-hat` must not be
read as -h -a -t). A walk of the whole app, so a new command is covered when added."""

from __future__ import annotations

import pytest
import typer
from inprocess import invoke
from test_help_wrapping import command_paths

# commands whose own arguments may start with "-h": help is --help only there
DASHED_WORD_COMMANDS = {("word2vec", "similar")}


def help_option_names(path: list[str]) -> list[str]:
    """The names the help option of command `path` answers to, as `main` builds the app."""
    from seqlab.cli import app
    from seqlab.cli.option_values import add_value_completion

    app._register()
    command = add_value_completion(typer.main.get_command(app.app))
    for name in path:
        command = command.commands[name]
    return list(command._help_option.opts)  # made once and kept by the command (Click)


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "seqlab")
def test_short_help_is_the_same_help(path):
    if tuple(path) in DASHED_WORD_COMMANDS:
        pytest.skip("-h is a word to subtract here (test_dashed_words_keep_long_help_only)")
    short, long = invoke(*path, "-h"), invoke(*path, "--help")
    assert (short.returncode, short.stderr) == (0, ""), short.stderr
    assert short.stdout == long.stdout
    help_line = next(line for line in short.stdout.splitlines() if "--help" in line)
    assert help_line.split()[1:3] == ["--help", "-h"]  # "│ --help  -h  Show this message"


def test_no_option_of_any_command_uses_short_h():
    """-h is help's alone: an option that took -h would be shadowed (none does)."""
    from seqlab.cli import app

    app._register()
    taken: list[str] = []

    def walk(command, path: list[str]) -> None:
        for param in command.params:
            if "-h" in getattr(param, "opts", ()) + getattr(param, "secondary_opts", ()):
                taken.append(" ".join([*path, param.name]))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app.app), [])
    assert taken == []


@pytest.mark.parametrize("path", sorted(DASHED_WORD_COMMANDS))
def test_dashed_words_keep_long_help_only(path):
    assert help_option_names(list(path)) == ["--help"]
    assert invoke(*path, "--help").returncode == 0
