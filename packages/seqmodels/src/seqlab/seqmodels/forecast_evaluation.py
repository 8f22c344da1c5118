"""A trained forecaster on the held-out tail of its series, beside the classic baselines.

`forecast_report` is what `seqlab forecast train` prints after training and `seqlab forecast
eval` prints for a saved model: the model's direct forecasts from every evaluation origin, and
persistence, seasonal naive and AR(p) (fitted on the same training part) from the same
origins, all scored with `metrics.forecast_errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class ReportPlan:
    """What `forecast_report` will fit and from where: checked before a model is trained,
    so that a series the report cannot be made on is refused before training, not after
    the model is saved."""

    split: int  # values in the training part
    season: int
    season_estimated: bool
    ar_order: int | None  # None: the AR baseline is skipped (`ar_skipped` says why)
    ar_skipped: str | None
    origins: np.ndarray


def plan_report(metadata: dict[str, Any], values: np.ndarray, season: int | None = None,
                ar_order: int | None = None) -> ReportPlan:
    """The report's split, season, AR order and forecast origins for `values`.

    An AR order the user gave (`ar_order`) that the training part cannot fit is a ValueError,
    as statsmodels refuses lags it cannot fit; the default order (the window) is the
    library's choice, so where it cannot be fitted the AR baseline is skipped with a reason
    and the model and the other baselines are still reported. Raises ValueError when no
    forecast origin fits (too short a series for the window, season or horizon)."""
    window, horizon = metadata["window"], metadata["horizon"]
    season = season or metadata.get("season")
    order = ar_order or metadata.get("ar_order") or window
    transform = SeriesTransform.from_state_dict(metadata["transform"])
    split = split_index(values.shape[0], metadata["test_fraction"])
    estimated = season is None
    if estimated:
        season = estimate_season(values, split)
    skipped = None
    if split <= 2 * order + 1:
        if ar_order:
            raise ValueError(f"--ar-order {order} needs a training part of more than "
                             f"{2 * order + 1} values, but this series' has {split}; lower "
                             f"--ar-order to {max((split - 2) // 2, 1)} or less, or give "
                             "more rows")
        skipped = (f"the training part ({split} values) is too short for AR({order}), which "
                   f"needs more than {2 * order + 1}"
                   + (f"; give --ar-order {(split - 2) // 2} or less to fit one"
                      if split >= 4 else ""))
    needs = {"the model's window": window,
             "the estimated season" if estimated else "--season": season}
    if skipped is None:
        needs["--ar-order" if ar_order else "the AR order (the window)"] = order
    _check_history(values.shape[0], split, horizon, first=transform.first_index, needs=needs)
    origins = evaluation_origins(values.shape[0], split, horizon, max(needs.values()),
                                 transform.first_index)
    return ReportPlan(split, season, estimated, None if skipped else order, skipped, origins)


def forecast_report(model: Any, metadata: dict[str, Any], values: np.ndarray,
                    season: int | None = None, ar_order: int | None = None) -> dict[str, Any]:
    """The model's MAE/RMSE/MAPE/sMAPE on the held-out tail beside the three baselines.

    `metadata` is the checkpoint's forecasting metadata (window, horizon, test_fraction,
    transform state, and optionally season and ar_order); `season` and `ar_order` override it.
    A season that neither gives is estimated from the training part. The result also holds
    per-step MAE and the first forecast step against the actual values (`plot`). Raises
    ValueError when the series is too short for the horizon or a given AR order; a default AR
    order the training part cannot fit leaves `baselines["ar"]` None and says why in
    `skipped["ar"]` (`plan_report`).
    """
    plan = plan_report(metadata, values, season, ar_order)
    window, horizon, origins = metadata["window"], metadata["horizon"], plan.origins
    transform = SeriesTransform.from_state_dict(metadata["transform"])
    actual = values[origins[:, None] + 1 + np.arange(horizon), 0]
    forecasts = model_forecasts(model, transform, values, origins, window)
    baselines: dict[str, Any] = {
        "persistence": forecast_errors(persistence(values, origins, horizon), actual),
        "seasonal_naive": forecast_errors(seasonal_naive(values, origins, horizon,
                                                         plan.season), actual)
        | {"season": plan.season, "season_estimated": plan.season_estimated},
        "ar": None,
    }
    if plan.ar_order is not None:
        coefficients = fit_ar(values, plan.split, plan.ar_order)
        baselines["ar"] = forecast_errors(ar_forecasts(values, origins, horizon, coefficients),
                                          actual) | {"order": plan.ar_order}
    return {**forecast_errors(forecasts, actual), "horizon": horizon,
            "method": "direct", "test_values": int(values.shape[0] - plan.split),
            "origins": int(origins.size), "baselines": baselines,
            "skipped": {"ar": plan.ar_skipped} if plan.ar_skipped else {},
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
