"""Rich progress bars with throughput and ETA, shared by the long-running commands."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from seqlab.cli.console import stderr


def make_progress(unit: str = "tokens", enabled: bool = True) -> Progress:
    """A progress display on stderr: bar, count, rate in `unit`/s, elapsed, ETA, and a free
    `info` field (live loss and the like)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TextColumn("[cyan]{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
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
