"""Rich progress bars with throughput and ETA, shared by the long-running commands.

Laid out for an 80-column terminal: one line of fixed-width columns (name, bar, percent, rate,
elapsed, ETA: about 75 characters), and the free `info` field (live loss and the like) on its
own line below, cut to the terminal's width, so that no column is ever squeezed to "2…".
"""

from __future__ import annotations

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


class _InfoLineProgress(Progress):
    """A Progress whose tasks' `info` field is drawn on a line of its own."""

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
    return _InfoLineProgress(
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


def rate_text(count: float, seconds: float, unit: str) -> str:
    """'12.3k tokens/s'."""
    rate = count / max(seconds, 1e-9)
    for factor, suffix in ((1e6, "M"), (1e3, "k")):
        if rate >= factor:
            return f"{rate / factor:.1f}{suffix} {unit}/s"
    return f"{rate:.0f} {unit}/s"
