"""One-line errors for the user: what was wrong, where, and what to do."""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A problem with the user's input, reported as one line on stderr with a non-zero exit."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def require_file(path: Path, what: str = "file") -> Path:
    """The path, if it is an existing readable file; otherwise a CliError saying so."""
    if str(path) == "-":
        return path
    if not path.exists():
        raise CliError(f"{what} not found: {path} (check the path)")
    if path.is_dir():
        raise CliError(f"{what} is a directory, not a file: {path}")
    if not path.is_file():  # a device (/dev/zero), a FIFO or a socket: endless or blocking
        raise CliError(f"{what} {path} is not a regular file (a device, pipe or socket); "
                       "give a file saved on disk")
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise CliError(f"cannot read {what} {path}: {error.strerror}") from error
    return path


def require_range(name: str, value: float | int | None, low: float | None = None,
                  high: float | None = None, low_open: bool = False,
                  high_open: bool = False) -> None:
    """A CliError naming the option when value lies outside [low, high] (or open bounds)."""
    if value is None:
        return
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        bounds = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise CliError(f"{name} must be in {bounds}, got {value}", code=EXIT_USAGE)
