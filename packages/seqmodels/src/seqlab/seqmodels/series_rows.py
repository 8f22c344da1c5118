"""Which rows of a series are history and which are the future to forecast, and how to name
rows of a file in a message.

A file whose last rows carry known features and an empty target is a future frame (Prophet's
`make_future_dataframe`, a Kaggle test set): those rows are forecast, never filled in as
history. Gaps before the last observed target are history with holes, interpolated."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def future_start(target: np.ndarray) -> int:
    """The index after the last observed target value: every row from there on has an empty
    target (the rows to forecast)."""
    observed = np.flatnonzero(~np.isnan(target))
    return int(observed[-1]) + 1 if observed.size else 0


def row_ranges(lines: Sequence[int], limit: int = 5) -> str:
    """Sorted line numbers as ranges, '5, 12-14'; past `limit` ranges, '... and N more'."""
    ranges: list[list[int]] = []
    for line in lines:
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    words = [str(a) if a == b else f"{a}-{b}" for a, b in ranges[:limit]]
    more = f" and {len(ranges) - limit} more" if len(ranges) > limit else ""
    return ", ".join(words) + more


def missing_future_feature(future: np.ndarray, columns: Sequence[str], steps: int,
                           lines: Sequence[int] | None, source: str) -> str | None:
    """'file:line: ...' for the first empty feature in the first `steps` rows to forecast
    (a forecast past the model's horizon feeds them back), or None when every one is given."""
    empty = np.argwhere(np.isnan(future[:steps, 1:]))
    if not empty.size:
        return None
    row, column = (int(i) for i in empty[0])
    where = f"{source}:{lines[row]}" if lines else f"{source} row {row + 1} to forecast"
    return (f"{where}: column {columns[column + 1]!r} is empty in a row to forecast; past the "
            "model's horizon the rows' known features are fed back, so fill it")
