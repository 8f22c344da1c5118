"""A trained forecaster on the held-out tail of its series, beside the classic baselines.

`forecast_report` is what `seqlab forecast train` prints after training and `seqlab forecast
eval` prints for a saved model: the model's direct forecasts from every evaluation origin, and
persistence, seasonal naive and AR(p) (fitted on the same training part) from the same
origins, all scored with `metrics.forecast_errors`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.seqmodels.forecasting import (
    SeriesTransform,
    ar_forecasts,
    estimate_season,
    evaluation_origins,
    fit_ar,
    model_forecasts,
    persistence,
    seasonal_naive,
    split_index,
)
from seqlab.seqmodels.metrics import forecast_errors


def forecast_report(model: Any, metadata: dict[str, Any], values: np.ndarray,
                    season: int | None = None, ar_order: int | None = None) -> dict[str, Any]:
    """The model's MAE/RMSE/MAPE/sMAPE on the held-out tail beside the three baselines.

    `metadata` is the checkpoint's forecasting metadata (window, horizon, test_fraction,
    transform state, and optionally season and ar_order); `season` and `ar_order` override it.
    A season that neither gives is estimated from the training part. The result also holds
    per-step MAE and the first forecast step against the actual values (`plot`). Raises
    ValueError when the series is too short for the horizon or the AR order.
    """
    window, horizon = metadata["window"], metadata["horizon"]
    season = season or metadata.get("season")
    order = ar_order or metadata.get("ar_order") or window
    transform = SeriesTransform.from_state_dict(metadata["transform"])
    split = split_index(values.shape[0], metadata["test_fraction"])
    estimated = season is None
    if estimated:
        season = estimate_season(values, split)
    reach = max(window, order, season)
    if ar_order and split <= 2 * order + 1:
        raise ValueError(f"--ar-order {order} needs a training part of more than {2 * order + 1} "
                         f"values, but this series' has {split}; lower --ar-order to "
                         f"{max((split - 2) // 2, 1)} or less, or give more rows")
    _check_history(values.shape[0], split, horizon, first=transform.first_index,
                   needs={"the model's window": window,
                          "--ar-order" if ar_order else "the AR order (the window)": order,
                          "the estimated season" if estimated else "--season": season})
    origins = evaluation_origins(values.shape[0], split, horizon, reach, transform.first_index)
    coefficients = fit_ar(values, split, order)
    actual = values[origins[:, None] + 1 + np.arange(horizon), 0]
    forecasts = model_forecasts(model, transform, values, origins, window)
    baselines: dict[str, Any] = {
        "persistence": forecast_errors(persistence(values, origins, horizon), actual),
        "seasonal_naive": forecast_errors(seasonal_naive(values, origins, horizon, season),
                                          actual) | {"season": season,
                                                     "season_estimated": estimated},
        "ar": forecast_errors(ar_forecasts(values, origins, horizon, coefficients), actual)
        | {"order": order},
    }
    return {**forecast_errors(forecasts, actual), "horizon": horizon,
            "method": "direct", "test_values": int(values.shape[0] - split),
            "origins": int(origins.size), "baselines": baselines,
            "per_step_mae": np.abs(forecasts - actual).mean(axis=0).tolist(),
            "plot": {"actual": actual[:, 0].tolist(), "forecast": forecasts[:, 0].tolist()}}


def _check_history(length: int, split: int, horizon: int, first: int,
                   needs: dict[str, int]) -> None:
    """A ValueError naming the cause when no forecast origin fits: a history (`needs`: what
    asks for how many past values) longer than the series allows, or too short a tail."""
    allowed = length - horizon - first  # the longest history that leaves one origin
    name, longest = max(needs.items(), key=lambda item: item[1])
    if longest > allowed:
        rows = f"give a series of at least {longest + horizon + first} rows"
        lower = (f"lower it to {allowed} or less, or {rows}" if allowed >= 1 and "--" in name
                 else rows)
        raise ValueError(f"{name} ({longest}) needs more past values than the {length}-row "
                         f"series leaves before a {horizon}-step forecast; {lower}")
    if split - 1 >= length - horizon:
        raise ValueError(f"the held-out tail ({length - split} of {length} rows) is shorter "
                         f"than the horizon {horizon}; use a larger --test-fraction, a shorter "
                         "horizon, or more rows")
