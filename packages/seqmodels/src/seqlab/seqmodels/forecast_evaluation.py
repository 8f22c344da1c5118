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
