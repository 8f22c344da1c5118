"""A process-wide setting a command changes, put back as that command ends.

Commands nest (an in-process `main` inside another: a library user's callback, a test), so
what they save is a stack: one entry per running `main`, holding the value from before that
command's first change (None while it made none), and one slot for a change made outside any
`main` (a test's runner), put back as the next outermost `main` ends. `allocator` and
`threads` each keep one `CommandScoped`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class CommandScoped(Generic[T]):
    """The saved values of one setting: `begin` as a `main` starts, `remember` before each
    change, `restore` as the `main` ends."""

    def __init__(self) -> None:
        self._before: list[T | None] = []  # one per running command
        self._outside: list[T] = []  # at most one: from before a change outside any command

    def begin(self) -> None:
        """A command starts: its changes are put back by the matching `restore`."""
        self._before.append(None)

    def remember(self, read: Callable[[], T]) -> None:
        """Save the value `read` gives, unless the running command (or, outside any, the
        outside slot) already saved one: only the value from before the first change counts.
        `read` is called only when it is saved."""
        if not self._before:
            if not self._outside:
                self._outside.append(read())
        elif self._before[-1] is None:
            self._before[-1] = read()

    def restore(self, write: Callable[[T], None]) -> None:
        """End the running command's entry: `write` each value it saved, then, when that was
        the outermost command, the outside slot's (`write` is not called when nothing was
        saved)."""
        saved = [self._before.pop()] if self._before else []
        if not self._before and self._outside:
            saved.append(self._outside.pop())
        for value in saved:
            if value is not None:
                write(value)
