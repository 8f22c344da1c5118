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
Missing stamps (empty, or a `MISSING` word such as NA or nan, in any case) are skipped, and
the rest are checked. Integers compare exactly (nanosecond epochs exceed float64's 2**53).
Stamps with a time zone and stamps without one are not mixed (pandas refuses it too): which
zone the naive ones are in is a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from seqlab.seqmodels.missing_cells import is_missing

_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")


def _number(text: str) -> int | float:
    try:
        return int(text)  # exact: 1700000000000000100 as a float is ...000128
    except ValueError:
        return float(text)


def _moment(text: str) -> datetime:
    if _YEAR_MONTH.fullmatch(text):
        text += "-01"
    return datetime.fromisoformat(text)  # aware ones compare by the instant (UTC)


def _keys(stamps: Sequence[str]) -> list | None:
    """Every stamp's sort key (None for a missing stamp or NaN), or None when the stamps have
    no order seqlab knows."""
    for parse in (_number, _moment):
        try:
            keys = [None if is_missing(s) else parse(s.strip()) for s in stamps]
        except ValueError:
            continue
        return [None if isinstance(k, float) and math.isnan(k) else k for k in keys]
    return None


def _check_zones(keys: list, stamps: Sequence[str], lines: Sequence[int], column: str,
                 where: Callable[[int], str]) -> None:
    """ValueError at the first stamp whose time zone (given or not) differs from the first's."""
    first = None  # (aware, stamp, line) of the first stamp
    for key, stamp, line in zip(keys, stamps, lines, strict=True):
        if not isinstance(key, datetime):
            continue
        aware = key.tzinfo is not None
        if first is None:
            first = (aware, stamp, line)
        elif aware != first[0]:
            has, other = ("has a", "has none") if aware else ("has no", "has one")
            raise ValueError(f"{where(line)}: time stamp {stamp!r} (column {column!r}) {has} "
                             f"time zone and {first[1]!r} on line {first[2]} {other}: give "
                             "every stamp a zone (+00:00 for UTC), or none")


def check_time_order(stamps: Sequence[str], lines: Sequence[int], column: str,
                     where: Callable[[int], str]) -> None:
    """ValueError at the first stamp that is not later than the one before it (`lines[i]` is
    stamp i's line, `where(line)` names it), or, for stamps without an order, that repeats."""
    keys = _keys(stamps)
    if keys is None:
        seen: dict[str, int] = {}
        for stamp, line in zip(stamps, lines, strict=True):
            if not is_missing(stamp) and stamp.strip() in seen:
                raise _repeat(stamp, column, line, seen[stamp.strip()], where)
            seen.setdefault(stamp.strip(), line)
        return
    _check_zones(keys, stamps, lines, column, where)
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
