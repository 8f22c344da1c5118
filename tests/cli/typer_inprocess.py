"""Run a `seqlab` command inside the test process (no interpreter start, no Numba import per
call): for the bad-input cases, each of which must end in a `CliError` (which
`seqlab.cli.app.main` prints as one line with its exit code) or a usage error, never another
exception; and for commands that only read a model (predict, eval, info). Training commands
run as real subprocesses: they set the process's thread count."""

from __future__ import annotations

from dataclasses import dataclass
from unittest import mock

import typer
import typer.testing
from typer.testing import CliRunner

_command = None  # the command tree as `seqlab.cli.app.main` builds it, made once


@dataclass
class Outcome:
    code: int
    message: str  # the CliError's message, or what the command printed

    @property
    def stdout(self) -> str:
        return self.message


def invoke(*args: str, input: str | None = None) -> Outcome:
    """`seqlab ARGS...` in process: its exit code and error message or output."""
    global _command
    from seqlab.cli import app as cli_app
    from seqlab.cli.errors import CliError
    from seqlab.cli.params import harden

    if _command is None:
        cli_app._register()
        _command = harden(typer.main.get_command(cli_app.app))
    # the runner builds a fresh command tree from the Typer app; use the one `main` runs,
    # with `params.harden`'s checks (option ranges, finite floats, seeds)
    with mock.patch.object(typer.testing, "_get_command", lambda app: _command):
        result = CliRunner().invoke(cli_app.app, list(args), input=input)
    error = result.exception
    if isinstance(error, CliError):
        return Outcome(error.code, str(error))
    if isinstance(error, SystemExit) or error is None:
        return Outcome(result.exit_code, result.stdout if result.exit_code == 0 else result.output)
    raise AssertionError(f"seqlab {' '.join(args)} raised {type(error).__name__}: {error}")


def assert_fails(failure: Outcome, *words: str, code: int | None = None) -> None:
    """A non-zero exit whose one-line message names every word (case-insensitive)."""
    assert failure.code != 0, failure.message
    if code is not None:
        assert failure.code == code, failure.message
    for word in words:
        assert word.lower() in failure.message.lower(), failure.message
