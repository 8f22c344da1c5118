"""Row bookkeeping of a series: where history ends and how rows are named in messages."""

from __future__ import annotations

import numpy as np

from seqlab.seqmodels.forecasting import finish_series
from seqlab.seqmodels.series_rows import future_start, row_ranges


def test_row_ranges_merge_runs_and_cut_long_lists():
    assert row_ranges([5, 12, 13, 14]) == "5, 12-14"
    assert row_ranges([1, 3, 5, 7], limit=2) == "1, 3 and 2 more"


def test_only_rows_after_the_last_target_are_the_future():
    nan = np.nan
    values = np.array([[nan, 1], [2, 1], [nan, 1], [4, 1], [nan, 2], [nan, nan]])
    assert future_start(values[:, 0]) == 4
    series = finish_series(values, ["y", "x"], None, [2, 3, 4, 5, 6, 7], "f.csv")
    assert series.values[:, 0].tolist() == [2, 2, 3, 4]  # leading and interior gaps filled
    assert series.interpolated == 2 and series.missing_rows == "f.csv:2, 4"
    assert series.future_rows == "f.csv:6-7" and series.future[:, 1].tolist()[0] == 2
    assert "f.csv:7" in series.missing_future_feature(2)
    assert series.missing_future_feature(1) is None
