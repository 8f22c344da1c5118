"""Checks that a series' time stamps run forward, one row per time step.

The held-out tail of a series is its last rows, so rows out of time order would train on the
future and hold out the past. seqlab refuses such a file, naming the first row out of order,
and does not sort it: sorting needs an order seqlab can only guess for some stamp formats,
and a file out of order is more often a mistake (a merge, a descending export) than a choice.
pandas' `asfreq`/`resample` also need a monotonic index, and darts' `TimeSeries` refuses a
repeated stamp.

Stamps compare as numbers when every one is a number (years, YYYYMMDD, seconds), else as ISO
8601 dates or times when every one is (YYYY-MM-DD, with a time, a zone or not, or YYYY-MM).
Other forms (month names, 01/02/2024: day or month first?) are checked for repeats only.
Empty stamps are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")


def _number(text: str) -> float:
    return float(text)


def _moment(text: str) -> datetime:
    if _YEAR_MONTH.fullmatch(text):
        text += "-01"
    moment = datetime.fromisoformat(text)
    # an aware time compares with a naive one as UTC
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _keys(stamps: Sequence[str]) -> list | None:
    """Every stamp's sort key (None for an empty stamp), or None when the stamps have no
    order seqlab knows."""
    for parse in (_number, _moment):
        try:
            return [parse(s.strip()) if s.strip() else None for s in stamps]
        except ValueError:
            continue
    return None


def check_time_order(stamps: Sequence[str], lines: Sequence[int], column: str,
                     where: Callable[[int], str]) -> None:
    """ValueError at the first stamp that is not later than the one before it (`lines[i]` is
    stamp i's line, `where(line)` names it), or, for stamps without an order, that repeats."""
    keys = _keys(stamps)
    if keys is None:
        seen: dict[str, int] = {}
        for stamp, line in zip(stamps, lines, strict=True):
            if stamp.strip() and stamp.strip() in seen:
                raise _repeat(stamp, column, line, seen[stamp.strip()], where)
            seen.setdefault(stamp.strip(), line)
        return
    previous = None  # (key, stamp, line) of the last stamp checked
    for key, stamp, line in zip(keys, stamps, lines, strict=True):
        if key is None:
            continue
        if previous is not None and key == previous[0]:
            raise _repeat(stamp, column, line, previous[2], where)
        if previous is not None and key < previous[0]:
            raise ValueError(f"{where(line)}: time stamp {stamp!r} (column {column!r}) comes "
                             f"before {previous[1]!r} on line {previous[2]}: the last rows are "
                             "held out, so rows must be in time order; sort the rows by "
                             f"{column!r} (oldest first)")
        previous = (key, stamp, line)


def _repeat(stamp: str, column: str, line: int, first: int,
            where: Callable[[int], str]) -> ValueError:
    return ValueError(f"{where(line)}: time stamp {stamp!r} (column {column!r}) repeats line "
                      f"{first}'s: one row per time step (sum or average the repeated rows, "
                      "or drop them)")
