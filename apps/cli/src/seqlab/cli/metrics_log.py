"""The metrics JSONL beside a model: one file per run, rewritten atomically, never duplicated.

A fresh run replaces the file; a resumed run keeps the rows up to the step it resumes from
(a run killed after its last checkpoint wrote rows the resumed run will write again) and adds
its own. Rows are kept in memory and the whole file is rewritten through
`seqlab.autograd.atomic` at evaluations, checkpoints, the end, and at most every few seconds.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from seqlab.autograd.atomic import atomic_write

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


class MetricsLog:
    """The rows of one run's metrics file, continued from `resume_step` when resuming."""

    def __init__(self, path: Path, resume_step: int | None = None) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        if resume_step is not None:
            self.rows = [row for row in read_rows(path)
                         if int(row.get("step", 0)) <= resume_step]
        self._last_flush = 0.0
        self.flush()

    def add(self, record: dict[str, Any], flush: bool = False) -> None:
        """Append a row (non-finite floats as null); write the file when asked or due."""
        self.rows.append({key: (value if not isinstance(value, float) or math.isfinite(value)
                                else None) for key, value in record.items()})
        if flush or time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Rewrite the whole file atomically."""
        with atomic_write(self.path) as file:
            for row in self.rows:
                file.write(json.dumps(row) + "\n")
        self._last_flush = time.monotonic()
