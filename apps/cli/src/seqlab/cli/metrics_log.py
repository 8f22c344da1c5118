"""The metrics JSONL beside a model: one file per run, appended to, never duplicated.

A fresh run starts the file empty; a resumed run keeps the rows up to the step it resumes from
(a run killed after its last checkpoint wrote rows the resumed run will write again) and adds
its own. That one rewrite at the start goes through `seqlab.autograd.atomic` like every other
file seqlab writes; after it, rows are appended.

Why appending is the right exception to the atomic-write rule: a model, a vocabulary or an
ARPA file is an artefact a command replaces as a whole, so a reader must see the old file or
the new one, never half of either. A log only grows: rewriting it atomically at every flush
costs time quadratic in the length of the run, and gains nothing, because appending complete
lines already leaves a readable file at every moment. Rows wait in memory and go to the file in
one `write` of whole lines (at evaluations, checkpoints, the end, and at most every few
seconds), so a killed process leaves whole rows; the file is fsynced at checkpoints and at the
end, so a resumable checkpoint never outlives its rows. Only a power loss can tear the last
line: `read_rows` skips a line that is not JSON, and a resumed run's rewrite drops it. The
output guard (`outputs.check_checkpoint_output`) has already refused to touch a file seqlab did
not write before the log opens it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from seqlab.autograd.atomic import atomic_write
from seqlab.cli import json_text

FLUSH_SECONDS = 5.0


def metrics_path(out: Path) -> Path:
    """`NAME.metrics.jsonl` beside `NAME.safetensors`."""
    return out.with_suffix(".metrics.jsonl")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The JSON rows of a metrics file (a torn last line is dropped)."""
    rows = []
    if not path.is_file():
        return rows
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _row_line(record: dict[str, Any]) -> str:
    """One JSON line; non-finite floats become null (JSON has no NaN)."""
    return json_text.dumps(record) + "\n"


class MetricsLog:
    """One run's metrics file, continued from `resume_step` when resuming; rows are appended.

    Use as a context manager, or call `close()`: it writes what is pending and fsyncs.
    """

    def __init__(self, path: Path, resume_step: int | None = None) -> None:
        self.path = path
        kept = []
        if resume_step is not None:
            kept = [row for row in read_rows(path) if int(row.get("step", 0)) <= resume_step]
        with atomic_write(path) as file:  # the one rewrite: a fresh file, or the kept rows
            file.write("".join(_row_line(row) for row in kept))
        self._pending: list[str] = []
        self._last_flush = time.monotonic()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND)

    def add(self, record: dict[str, Any], flush: bool = False) -> None:
        """Queue a row (non-finite floats as null); append the queue when asked or due."""
        self._pending.append(_row_line(record))
        if flush or time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Append the queued rows to the file in one write of whole lines."""
        if self._fd is None:
            return
        data = "".join(self._pending).encode("utf-8")
        self._pending.clear()
        view = memoryview(data)
        while view:  # a regular file takes it all at once; loop in case of a short write
            view = view[os.write(self._fd, view):]
        self._last_flush = time.monotonic()

    def sync(self) -> None:
        """Append the queued rows and fsync the file (at checkpoints)."""
        self.flush()
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        """Append what is queued, fsync and close the file (closing twice is harmless)."""
        if self._fd is None:
            return
        try:
            self.sync()
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
