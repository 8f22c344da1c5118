"""Run a `seqlab` command inside the test process (no interpreter start, no Numba import per
call) for the bad-input cases: each must end in a `CliError` (which `seqlab.cli.app.main`
prints as one line with its exit code) or a usage error, never another exception."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

_registered = False


@dataclass
class Failure:
    code: int
    message: str


def invoke(*args: str, input: str | None = None) -> Failure:
    """`seqlab ARGS...` in process; the exit code and message of a failing command."""
    global _registered
    from seqlab.cli import app as cli_app
    from seqlab.cli.errors import CliError

    if not _registered:
        cli_app._register()
        _registered = True
    result = CliRunner().invoke(cli_app.app, list(args), input=input)
    error = result.exception
    if isinstance(error, CliError):
        return Failure(error.code, str(error))
    if isinstance(error, SystemExit) or error is None:
        return Failure(result.exit_code, result.output)
    raise AssertionError(f"seqlab {' '.join(args)} raised {type(error).__name__}: {error}")


def assert_fails(failure: Failure, *words: str, code: int | None = None) -> None:
    """A non-zero exit whose one-line message names every word (case-insensitive)."""
    assert failure.code != 0, failure.message
    if code is not None:
        assert failure.code == code, failure.message
    for word in words:
        assert word.lower() in failure.message.lower(), failure.message
