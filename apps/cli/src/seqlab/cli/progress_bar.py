"""The Rich progress display behind `seqlab.cli.progress.make_progress`: one line of
fixed-width columns and the free `info` field on a line of its own (see that module's docs).
Its own module so that Rich's progress machinery loads only in a command that draws a bar."""

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

from seqlab.cli import progress as progress_lines
from seqlab.cli.progress import PlainLines, clock_text

BAR_WIDTH = 24


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


def info_line_progress(unit: str = "tokens", enabled: bool = True) -> Progress:
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
        console=progress_lines.stderr,  # read at each call: where `progress` writes now
        disable=not enabled,
        transient=False,
    )
    progress.plain = PlainLines(enabled)
    return progress
