"""The time stamps after a series' last one, when its stamps have a regular step, so a forecast
can label its rows with the times they are for (as darts extends a series' time index, and
pandas' `infer_freq` finds a regular frequency or None).

A step is regular when the stamps rise by the same amount each time: integers (years, seconds)
by their difference; ISO 8601 `YYYY-MM` by whole months; pandas' quarter periods (`2000Q1`,
or `2000-Q1`) by whole quarters; other ISO dates and times by their
time difference when it is under 28 days, and by the calendar when it is longer (as pandas'
month and year offsets): every stamp its month's last day, or every stamp the same day of the
month and time of day, stepped by whole months (12 for years). Anything else (a gap of another
size, descending stamps, a missing stamp, a float, a form seqlab does not read, a continued
stamp that is no date) has no next stamps: None. The next stamps keep the input's form: its
zero padding, its date-time separator, its precision and its `Z`."""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

_INTEGER = re.compile(r"[+-]?\d+")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")
# pandas' quarter periods: str(Period) is 2000Q1; 2000-Q1 is the usual dashed spelling
_QUARTER = re.compile(r"(\d{4})(-?)Q([1-4])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CALENDAR_STEP = timedelta(days=28)  # from here on a step is read on the calendar
# the time part of an ISO date-time: hours, minutes, seconds, fraction, zone
_TIME_FORM = re.compile(r".{10}[T ]\d{2}(:\d{2})?(:\d{2})?(?:[.,](\d+))?(Z|[+-].*)?")


def _one_gap(points: Sequence) -> Any:
    """The gap between consecutive `points` when every gap is the same and positive, else
    None."""
    gaps = [b - a for a, b in itertools.pairwise(points)]
    zero = gaps[0] * 0 if gaps else None
    return gaps[0] if gaps and all(gap == gaps[0] for gap in gaps) and gaps[0] > zero else None


def _integers(stamps: Sequence[str], count: int) -> list[str] | None:
    """Integer stamps continued by their difference, at the input's zero-padded width. Numbers
    of 8 digits that all read as YYYYMMDD dates continue only while they stay dates (20240132 is
    no date to print)."""
    numbers = [int(stamp) for stamp in stamps]
    step = _one_gap(numbers)
    if step is None:
        return None
    digits = [stamp.lstrip("+-") for stamp in stamps]
    width = len(digits[-1]) if any(len(d) > 1 and d[0] == "0" for d in digits) else 0
    following = [("-" if number < 0 else "") + str(abs(number)).zfill(width)
                 for number in (numbers[-1] + step * k for k in range(1, count + 1))]
    dates = all(len(stamp) == 8 and _is_date(stamp) for stamp in stamps)
    if dates and not all(len(stamp) == 8 and _is_date(stamp) for stamp in following):
        return None
    return following


def _is_date(digits: str) -> bool:
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return True


def _year_months(stamps: Sequence[str], count: int) -> list[str] | None:
    """`YYYY-MM` stamps (months 1 to 12) continued by whole months."""
    matches = [_YEAR_MONTH.fullmatch(stamp) for stamp in stamps]
    if not all(matches) or not all(1 <= int(m.group(2)) <= 12 for m in matches):
        return None
    indices = [int(m.group(1)) * 12 + int(m.group(2)) - 1 for m in matches]
    step = _one_gap(indices)
    if step is None:
        return None
    return [f"{index // 12:04d}-{index % 12 + 1:02d}"
            for index in (indices[-1] + step * k for k in range(1, count + 1))]


def _quarters(stamps: Sequence[str], count: int) -> list[str] | None:
    """`YYYY-Qn` or `YYYYQn` stamps (one form throughout) continued by whole quarters."""
    matches = [_QUARTER.fullmatch(stamp) for stamp in stamps]
    if len({m.group(2) for m in matches}) != 1:
        return None
    indices = [int(m.group(1)) * 4 + int(m.group(3)) - 1 for m in matches]
    step = _one_gap(indices)
    if step is None:
        return None
    dash = matches[-1].group(2)
    return [f"{index // 4:04d}{dash}Q{index % 4 + 1}"
            for index in (indices[-1] + step * k for k in range(1, count + 1))]


def _month_steps(moments: Sequence[datetime], count: int) -> list[datetime] | None:
    """Moments a whole number of months apart, all on their month's last day or all on the same
    day of the month, at the same time of day, continued on the calendar; None when they are
    not, or when a continued month lacks the day."""
    if len({(moment.time(), moment.tzinfo) for moment in moments}) != 1:
        return None
    months = [moment.year * 12 + moment.month - 1 for moment in moments]
    step = _one_gap(months)
    if step is None:
        return None
    last = moments[-1]
    month_end = all(moment.day == calendar.monthrange(moment.year, moment.month)[1]
                    for moment in moments)
    if not month_end and len({moment.day for moment in moments}) != 1:
        return None
    following = []
    for index in (months[-1] + step * k for k in range(1, count + 1)):
        year, month = divmod(index, 12)
        days = calendar.monthrange(year, month + 1)[1]
        if not month_end and last.day > days:
            return None
        following.append(last.replace(year=year, month=month + 1,
                                      day=days if month_end else last.day))
    return following


def _continued(moments: Sequence[datetime], count: int) -> list[datetime] | None:
    """Moments continued by their time step under 28 days, or on the calendar."""
    step = _one_gap(moments)
    if step is not None and step < _CALENDAR_STEP:
        return [moments[-1] + step * k for k in range(1, count + 1)]
    return _month_steps(moments, count)


def _dates(stamps: Sequence[str], count: int) -> list[str] | None:
    try:
        days = [datetime.fromisoformat(stamp) for stamp in stamps]
    except ValueError:  # no such day
        return None
    following = _continued(days, count)
    return None if following is None else [day.date().isoformat() for day in following]


def _date_times(stamps: Sequence[str], count: int) -> list[str] | None:
    forms = [_TIME_FORM.fullmatch(stamp) for stamp in stamps]
    if not all(forms):
        return None
    try:
        moments = [datetime.fromisoformat(stamp) for stamp in stamps]
        following = _continued(moments, count)
    except (ValueError, TypeError):  # not ISO, or naive and aware mixed
        return None
    return None if following is None else _like(stamps, forms, following)


def _like(stamps: Sequence[str], forms: Sequence[re.Match],
          moments: Sequence[datetime]) -> list[str]:
    """`moments` in the form of the input stamps: the last one's separator and zone (`Z`
    kept), minutes alone when no stamp has seconds and no moment needs them, and one fraction
    width for every row: the input's widest, or a finer one where the moments need it."""
    separator = stamps[-1][10]
    fractions = [f"{moment.microsecond:06d}" for moment in moments]
    width = max([len(form.group(3) or "") for form in forms]
                + [len(digits.rstrip("0")) for digits in fractions])
    seconds = width or any(form.group(2) for form in forms) or any(m.second for m in moments)
    zulu = forms[-1].group(4) == "Z"
    texts = []
    for moment, digits in zip(moments, fractions, strict=True):
        text = moment.isoformat(separator, "seconds" if seconds else "minutes")
        if width:
            text = f"{text[:19]}.{digits[:width]}{text[19:]}"
        texts.append(text[:-6] + "Z" if zulu and text.endswith("+00:00") else text)
    return texts


def next_stamps(stamps: Sequence[str] | None, count: int) -> list[str] | None:
    """The `count` stamps after the last of `stamps` when they have a regular step, else None
    (also for fewer than 3 stamps: one gap shows no regularity; pandas' `infer_freq` too
    needs 3)."""
    if not stamps or len(stamps) < 3 or count < 1:
        return None
    stamps = [stamp.strip() for stamp in stamps]
    if all(_INTEGER.fullmatch(stamp) for stamp in stamps):
        return _integers(stamps, count)
    if all(_YEAR_MONTH.fullmatch(stamp) for stamp in stamps):
        return _year_months(stamps, count)
    if all(_QUARTER.fullmatch(stamp) for stamp in stamps):
        return _quarters(stamps, count)
    if all(_DATE.fullmatch(stamp) for stamp in stamps):
        return _dates(stamps, count)
    return _date_times(stamps, count)
