"""A reader of our output that goes away (`seqlab generate M | head`) ends the command quietly.

The CLI framework (click, inside Typer) catches a broken pipe itself, wherever it arises while
parsing, printing help or running the command, and exits 1; Rich's consoles (ours, and the one
Typer draws help with) exit 1 themselves (`Console.on_broken_pipe`). So `set -o pipefail`
scripts failed on an ordinary `| head`. `passing_closed_pipes` turns both into
`OutputClosedError`, which is neither an OSError nor a SystemExit, before the framework sees
them; `app.main` then exits 0, as `cat` users expect, but only when it is stdout's reader
that went away (`stdout_reader_gone`). A closed stderr does not end a command: the stderr
console stops writing and the command finishes its work (`console._MessageConsole`).
"""

from __future__ import annotations

import errno
import functools
import os
import select
import sys
from collections.abc import Callable
from typing import Any


class OutputClosedError(Exception):
    """The reader of a pipe we wrote to closed its end; `stdout` says whether it was stdout's
    (the quiet end of `| head`) rather than another pipe's."""

    def __init__(self, stdout: bool) -> None:
        super().__init__("stdout's reader went away" if stdout else "a pipe's reader went away")
        self.stdout = stdout


def _translating(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise OutputClosedError(stdout_reader_gone()) from error
            raise
        except SystemExit as stop:  # Rich's on_broken_pipe exits 1 while handling the error
            if isinstance(stop.__context__, BrokenPipeError):
                # only a stdout console still exits (stderr's goes on: console.py), and it
                # has already pointed stdout at /dev/null, so the pipe cannot be asked now
                raise OutputClosedError(stdout=True) from stop.__context__
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
    point_at_devnull(sys.stdout)


def point_at_devnull(stream: Any) -> None:
    """Make `stream`'s file descriptor write to /dev/null (nothing when it has none, as when
    tests capture it into memory)."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (or stdout is no file at all, as
    when tests capture it into memory); False for a live pipe, a file or a terminal."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return True
    poller = select.poll()
    poller.register(descriptor, 0)  # POLLERR is always reported: the reader closed a pipe
    return any(events & select.POLLERR for _, events in poller.poll(0))
