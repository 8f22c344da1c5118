"""Progress bars with throughput and ETA, shared by the long-running commands (the Rich
display itself is `seqlab.cli.progress_bar`, imported when a bar is made).

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
from typing import TYPE_CHECKING

from seqlab.cli.console import stderr

if TYPE_CHECKING:
    from rich.progress import Progress

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


def make_progress(unit: str = "tokens", enabled: bool = True) -> Progress:
    """A progress display on stderr: bar, percent, rate in `unit`/s, elapsed, ETA, and a free
    `info` field (live loss and the like) on the line below (a Rich `Progress`)."""
    # Rich's progress module (and the decimal module it brings) is ~2 MB resident: imported
    # by the commands that draw a bar, not by every command that imports this module
    from seqlab.cli.progress_bar import info_line_progress

    return info_line_progress(unit, enabled)


def rate_text(count: float, seconds: float, unit: str) -> str:
    """'12.3k tokens/s'."""
    rate = count / max(seconds, 1e-9)
    for factor, suffix in ((1e6, "M"), (1e3, "k")):
        if rate >= factor:
            return f"{rate / factor:.1f}{suffix} {unit}/s"
    return f"{rate:.0f} {unit}/s"
