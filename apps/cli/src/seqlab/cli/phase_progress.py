"""Progress of a command that runs in phases with no known total (`ngram train`: reading,
counting each order, merging spilled runs, estimating, writing; `ngram eval`: scoring;
`tokenize train`: reading, building the vocabulary).

In a terminal: one Rich status line, 'ngram train: counting 3-grams · 12,345,678 tokens read ·
0:01:05' (under 80 columns), redrawn in place. In a log (stderr not a terminal): a plain line
as each phase starts, and one every `progress.PLAIN_LINE_SECONDS` within a phase; no ANSI
codes. Hidden by --quiet and --json.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from types import TracebackType

from seqlab.cli import progress
from seqlab.cli.console import stderr


class PhaseProgress:
    """`with PhaseProgress("ngram train", enabled) as shown:` then `shown.phase(name)` as each
    phase starts and `shown.tokens(count)` while reading (counts of `unit`)."""

    def __init__(self, command: str, enabled: bool, unit: str = "tokens") -> None:
        self.command, self.enabled, self.unit = command, enabled, unit
        self.started = time.monotonic()
        self.name = ""
        self.count = 0
        self.plain = progress.PlainLines(enabled)
        # the status draws `__rich__` at each refresh: the elapsed time moves within a phase
        self.status = stderr.status(self) if enabled and stderr.is_terminal else None

    def __enter__(self) -> PhaseProgress:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.status is not None:
            self.status.stop()

    def phase(self, name: str, announce: bool = True) -> None:
        """A phase starts: in a log, its line now (with `announce`; the first phase's line
        waits, so that a bad input's one-line error stands alone in a log)."""
        self.name = name
        self._show(force=announce)

    def tokens(self, count: int) -> None:
        """Tokens read so far (called every few thousand sentences)."""
        self.count = count
        self._show(force=False)

    def counted(self, pieces: Iterable[str], then: str) -> Iterator[str]:
        """`pieces` of text passed through, their characters counted as read (`tokens`, with
        `unit` "characters"); phase `then` starts when they end, announced in a log only
        once the command has run `progress.PLAIN_LINE_SECONDS` (a short run's log holds its
        result or its one-line error alone)."""
        count = 0
        for piece in pieces:
            count += len(piece)
            self.tokens(count)
            yield piece
        ran = time.monotonic() - self.started
        self.phase(then, announce=ran >= progress.PLAIN_LINE_SECONDS)

    def __rich__(self) -> str:
        return self._text()

    def _text(self) -> str:
        read = f", {self.count:,} {self.unit} read" if self.count else ""
        elapsed = progress.clock_text(time.monotonic() - self.started)
        return f"{self.command}: {self.name}{read}, {elapsed} elapsed"

    def _show(self, force: bool) -> None:
        if self.status is None and self.plain.enabled and (self.plain.due() or force):
            self.plain.write(self._text())
