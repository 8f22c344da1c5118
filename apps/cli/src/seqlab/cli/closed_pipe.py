"""A reader of our output that goes away (`seqlab generate M | head`) ends the command quietly.

The CLI framework (click, inside Typer) catches a broken pipe itself, wherever it arises while
parsing, printing help or running the command, and exits 1; Rich's consoles (ours, and the one
Typer draws help with) exit 1 themselves (`Console.on_broken_pipe`). So `set -o pipefail`
scripts failed on an ordinary `| head`. `passing_closed_pipes` turns both into
`OutputClosedError`, which is neither an OSError nor a SystemExit, before the framework sees
them; `app.main` then exits 0, as `cat` users expect.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from typing import Any


class OutputClosedError(Exception):
    """The reader of stdout or stderr closed its end of the pipe."""


def _translating(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise OutputClosedError from error
            raise
        except SystemExit as stop:  # Rich's on_broken_pipe exits 1 while handling the error
            if isinstance(stop.__context__, BrokenPipeError):
                raise OutputClosedError from stop.__context__
            raise

    return call


def passing_closed_pipes(command: Any) -> Any:
    """`command` (the click command tree's root), whose parsing and running raise
    `OutputClosedError` for a broken pipe; returns it."""
    command.make_context = _translating(command.make_context)
    command.invoke = _translating(command.invoke)
    return command


def silence_closed_output() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what is still
    buffered for the closed pipe does not fail again at exit."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (tests capture into memory)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
