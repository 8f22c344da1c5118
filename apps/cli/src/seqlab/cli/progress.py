"""Rich progress bars with throughput and ETA, shared by the long-running commands.

Laid out for an 80-column terminal: one line of fixed-width columns (name, bar, percent, rate,
elapsed, ETA: about 75 characters), and the free `info` field (live loss and the like) on its
own line below, cut to the terminal's width, so that no column is ever squeezed to "2…".

When stderr is not a terminal (a log: `2> log`, nohup, Slurm), Rich draws the bar once, at the
end; so a display also writes a plain line (no ANSI codes) every `PLAIN_LINE_SECONDS` as it is
updated, as Keras' `verbose=2` and HF Trainer's logging do: a long run's log is never empty
until the end, and a short one's holds only the final bar.
"""

from __future__ import annotations

import time

from rich.console import Group
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from seqlab.cli.console import stderr

BAR_WIDTH = 24
PLAIN_LINE_SECONDS = 30.0  # between plain progress lines in a log


def clock_text(seconds: float) -> str:
    """'0:01:05'."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class PlainLines:
    """Plain progress lines on stderr when it is not a terminal, at most one per
    `PLAIN_LINE_SECONDS` (read when each line is due, so a test may set it)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and not stderr.is_terminal
        self.last = time.monotonic()

    def due(self) -> bool:
        """Whether a line is due now (and, if so, the interval starts again)."""
        if not self.enabled or time.monotonic() - self.last < PLAIN_LINE_SECONDS:
            return False
        self.last = time.monotonic()
        return True

    def write(self, text: str) -> None:
        """One line as written, no markup, no wrapping."""
        stderr.print(text, markup=False, highlight=False, soft_wrap=True)


class _InfoLineProgress(Progress):
    """A Progress whose tasks' `info` field is drawn on a line of its own, and which writes
    plain lines to a log (`PlainLines`)."""

    plain: PlainLines

    def update(self, task_id, **fields) -> None:  # type: ignore[override]
        super().update(task_id, **fields)
        if self.plain.due():
            self.plain.write(self.plain_line(self._tasks[task_id]))

    @staticmethod
    def plain_line(task) -> str:
        """'training: 25% done, 1.2k tok/s, 0:00:31 elapsed, smoothed loss 3.912'."""
        parts = [f"{task.percentage:.0f}% done" if task.total else f"{task.completed:g} done"]
        for field in ("rate", "info"):
            if task.fields.get(field):
                parts.append(str(task.fields[field]))
        parts.insert(2 if task.fields.get("rate") else 1,
                     f"{clock_text(task.elapsed or 0.0)} elapsed")
        return f"{task.description}: " + ", ".join(parts)

    def get_renderable(self):
        lines = [self.make_tasks_table(self.tasks)]
        for task in self.tasks:
            info = task.fields.get("info")
            if info:
                lines.append(Text("  " + str(info), no_wrap=True, overflow="ellipsis",
                                  style="dim"))
        return Group(*lines)


def make_progress(unit: str = "tokens", enabled: bool = True) -> Progress:
    """A progress display on stderr: bar, percent, rate in `unit`/s, elapsed, ETA, and a free
    `info` field (live loss and the like) on the line below."""
    progress = _InfoLineProgress(
        TextColumn("{task.description}", style="bold", markup=False,
                   table_column=Column(no_wrap=True)),
        BarColumn(bar_width=BAR_WIDTH),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}", style="cyan", markup=False,
                   table_column=Column(no_wrap=True, min_width=12)),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=stderr,
        disable=not enabled,
        transient=False,
    )
    progress.plain = PlainLines(enabled)
    return progress


def rate_text(count: float, seconds: float, unit: str) -> str:
    """'12.3k tokens/s'."""
    rate = count / max(seconds, 1e-9)
    for factor, suffix in ((1e6, "M"), (1e3, "k")):
        if rate >= factor:
            return f"{rate / factor:.1f}{suffix} {unit}/s"
    return f"{rate:.0f} {unit}/s"
