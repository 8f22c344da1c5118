"""The time stamps after a series' last one, when its stamps have a regular step, so a forecast
can label its rows with the times they are for (as darts extends a series' time index, and
pandas' `infer_freq` finds a regular frequency or None).

A step is regular when every gap between consecutive stamps is the same: integers (years,
seconds) by their difference, ISO 8601 `YYYY-MM` and month-start dates `YYYY-MM-01` by whole
months, other ISO dates and times by their time difference. Anything else (a gap of a different
size, a missing stamp, a float, a form seqlab does not read) has no next stamps: None."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

_INTEGER = re.compile(r"[+-]?\d+")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")
_MONTH_START = re.compile(r"(\d{4})-(\d{2})-01")


def _one_gap(points: Sequence) -> Any:
    """The gap between consecutive `points` when every gap is the same and not zero, else
    None."""
    gaps = [b - a for a, b in itertools.pairwise(points)]
    return gaps[0] if gaps and all(gap == gaps[0] for gap in gaps) and gaps[0] else None


def _months(stamps: Sequence[str], pattern: re.Pattern, count: int, suffix: str) -> list | None:
    matches = [pattern.fullmatch(stamp) for stamp in stamps]
    if not all(matches):
        return None
    indices = [int(m.group(1)) * 12 + int(m.group(2)) - 1 for m in matches]
    step = _one_gap(indices)
    if step is None or step < 0:
        return None
    return [f"{index // 12:04d}-{index % 12 + 1:02d}{suffix}"
            for index in (indices[-1] + step * k for k in range(1, count + 1))]


def _moments(stamps: Sequence[str], count: int) -> list[str] | None:
    try:
        if all(len(stamp) == 10 for stamp in stamps):
            days = [date.fromisoformat(stamp) for stamp in stamps]
            step = _one_gap(days)
            return None if step is None else [(days[-1] + step * k).isoformat()
                                              for k in range(1, count + 1)]
        moments = [datetime.fromisoformat(stamp) for stamp in stamps]
    except (ValueError, TypeError):  # not ISO, or naive and aware mixed
        return None
    try:
        step = _one_gap(moments)
    except TypeError:
        return None
    if step is None:
        return None
    separator = "T" if "T" in stamps[-1] else " "
    timespec = "seconds" if moments[-1].microsecond == 0 and step.microseconds == 0 else "auto"
    return [(moments[-1] + step * k).isoformat(separator, timespec)
            for k in range(1, count + 1)]


def next_stamps(stamps: Sequence[str] | None, count: int) -> list[str] | None:
    """The `count` stamps after the last of `stamps` when they have a regular step, else None
    (also for fewer than 3 stamps: one gap shows no regularity; pandas' `infer_freq` too
    needs 3)."""
    if not stamps or len(stamps) < 3 or count < 1:
        return None
    stamps = [stamp.strip() for stamp in stamps]
    if all(_INTEGER.fullmatch(stamp) for stamp in stamps):
        numbers = [int(stamp) for stamp in stamps]
        step = _one_gap(numbers)
        return None if step is None else [str(numbers[-1] + step * k)
                                          for k in range(1, count + 1)]
    return (_months(stamps, _YEAR_MONTH, count, "")
            or _months(stamps, _MONTH_START, count, "-01")
            or _moments(stamps, count))
