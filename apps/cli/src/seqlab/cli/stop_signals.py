"""The signals that stop a command, handled as one: Ctrl-C (SIGINT), SIGTERM (`timeout`, `kill`,
Slurm at the time limit, `docker stop`) and SIGHUP (a closed terminal or ssh session).

Each ends a command the way Ctrl-C always did: the handler raises `Interrupted` in the main
thread, so every `with` and `finally` runs (scratch folders, hidden temporaries and `--out`'s
lock are removed), the CLI prints one line and exits 128 + the signal's number, as a shell
reports a process a signal ended (130, 143, 129). A training run finishes its step and saves a
resumable checkpoint first (`training.run_trainer`). A signal the command was started with
ignored stays ignored (`nohup` ignores SIGHUP), except SIGINT, which the CLI always took.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
from collections.abc import Callable
from types import FrameType
from typing import Any

EXIT_SIGNAL_BASE = 128
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))  # Windows has no SIGHUP

Handler = Callable[[int, FrameType | None], Any]


class Interrupted(BaseException):
    """A stop signal outside training. A BaseException, so the CLI framework does not turn it
    into its own 'Aborted!' with exit code 1, and no `except Exception` swallows it."""

    def __init__(self, signum: int = signal.SIGINT, note: str = "") -> None:
        super().__init__(signal_name(signum))
        self.signum = signum
        self.note = note  # what the one line adds after 'interrupted', e.g. what was saved


def raise_interrupted_saying(note: str) -> Handler:
    """A handler that stops the command as `raise_interrupted` does, its line adding `note`
    (after a training run finished: the model is saved, the report was cut)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        let_go_of_terminal(signum)
        raise Interrupted(signum, note)

    return handler


def signal_name(signum: int) -> str:
    """'SIGTERM' for signal.SIGTERM (the number as text for one without a name)."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


def exit_code(signum: int) -> int:
    """The exit status a shell gives a process `signum` ended: 128 + its number."""
    return EXIT_SIGNAL_BASE + signum


def stopped_words(signum: int) -> str:
    """How the stop reads in the one line: 'interrupted' for Ctrl-C, 'interrupted by SIGTERM'."""
    return "interrupted" if signum == signal.SIGINT else f"interrupted by {signal_name(signum)}"


def raise_interrupted(signum: int, frame: FrameType | None) -> None:
    """The handler `main` installs: stop the command where it is."""
    let_go_of_terminal(signum)
    raise Interrupted(signum)


def let_go_of_terminal(signum: int) -> None:
    """On SIGHUP, point standard output and error at /dev/null where they are a terminal (a
    character device: a hung-up terminal no longer answers `isatty`): the terminal has most
    likely gone, and a write to it would fail with EIO while the command saves, tidies and
    exits 129 (the usual idiom of a program that outlives its terminal). Other signals, and
    output to files or pipes, are left as they are."""
    if signum != getattr(signal, "SIGHUP", None):
        return
    with contextlib.suppress(OSError):
        quiet = os.open(os.devnull, os.O_WRONLY)
        try:
            for fd in (1, 2):
                if stat.S_ISCHR(os.fstat(fd).st_mode):
                    os.dup2(quiet, fd)
        finally:
            os.close(quiet)


def install(handler: Handler) -> dict[int, Any]:
    """Route every stop signal not ignored (SIGINT always) to `handler`; return the handlers
    they had, for `restore`. Call from the main thread."""
    previous = {}
    for signum in STOP_SIGNALS:
        current = signal.getsignal(signum)
        if current == signal.SIG_IGN and signum != signal.SIGINT:
            continue  # nohup's SIGHUP, a batch system's ignored SIGTERM: not ours to undo
        previous[signum] = current
        signal.signal(signum, handler)
    return previous


def restore(previous: dict[int, Any]) -> None:
    """Put back the handlers `install` replaced."""
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
