"""Where output goes: results to stdout, progress and messages to stderr (Rich, NO_COLOR aware)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False)


class Output:
    """Per-command output settings: --quiet and --json."""

    def __init__(self, quiet: bool = False, as_json: bool = False) -> None:
        self.quiet = quiet
        self.as_json = as_json

    @property
    def show_progress(self) -> bool:
        return not self.quiet and not self.as_json

    def info(self, message: str) -> None:
        """A status line on stderr (hidden by --quiet and --json)."""
        if self.show_progress:
            stderr.print(message)

    def warn(self, message: str) -> None:
        """A warning on stderr (always shown)."""
        stderr.print(f"[yellow]warning:[/] {message}")

    def result(self, data: dict[str, Any], human: str | None = None) -> None:
        """The command's result: one JSON object with --json, else the human text."""
        if self.as_json:
            sys.stdout.write(json.dumps(data, default=_jsonable) + "\n")
            sys.stdout.flush()
        elif human is not None:
            stdout.print(human)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def write_stream(piece: str) -> None:
    """Write generated text immediately, also when stdout is a pipe."""
    sys.stdout.write(piece)
    sys.stdout.flush()
