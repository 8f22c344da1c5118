"""`forecast_report` against hand computations on the held-out tail."""

import numpy as np
import pytest

from seqlab.seqmodels.forecast_evaluation import forecast_report
from seqlab.seqmodels.forecasting import SeriesTransform


class LastValueModel:
    """Forecasts every step as the last (scaled) input value: persistence in model space."""

    horizon = 2

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        return np.repeat(inputs[:, -1:, :1], self.horizon, axis=1)


def metadata_for(values: np.ndarray, **extra) -> dict:
    transform = SeriesTransform("none").fit(values, 80)
    return {"window": 5, "horizon": 2, "test_fraction": 0.2,
            "transform": transform.state_dict(), **extra}


def test_report_scores_the_model_and_baselines_on_the_same_tail():
    rng = np.random.default_rng(3)
    time = np.arange(100)
    values = (np.sin(2 * np.pi * time / 10) + 0.1 * rng.normal(size=100))[:, None]
    report = forecast_report(LastValueModel(), metadata_for(values, season=10, ar_order=3),
                             values)
    origins = np.arange(79, 98)  # split 80: every origin whose two targets lie in the tail
    actual = values[origins[:, None] + np.array([1, 2]), 0]
    persistence_mae = np.abs(actual - values[origins, 0][:, None]).mean()
    assert report["origins"] == origins.size and report["test_values"] == 20
    assert report["mae"] == pytest.approx(persistence_mae)  # the model is persistence
    assert report["baselines"]["persistence"]["mae"] == pytest.approx(persistence_mae)
    naive = values[origins[:, None] + np.array([1, 2]) - 10, 0]
    assert report["baselines"]["seasonal_naive"]["mae"] == \
        pytest.approx(np.abs(actual - naive).mean())
    assert report["baselines"]["seasonal_naive"]["season_estimated"] is False
    assert report["baselines"]["ar"]["order"] == 3
    assert report["per_step_mae"] == pytest.approx(np.abs(
        actual - values[origins, 0][:, None]).mean(axis=0))
    assert report["plot"]["actual"] == pytest.approx(actual[:, 0])


def test_season_is_estimated_when_not_given():
    time = np.arange(200)
    values = np.sin(2 * np.pi * time / 12)[:, None] + 0.01 * time[:, None]
    meta = metadata_for(values)
    meta["transform"] = SeriesTransform("none").fit(values, 160).state_dict()
    report = forecast_report(LastValueModel(), meta, values)
    seasonal = report["baselines"]["seasonal_naive"]
    assert seasonal["season_estimated"] is True and seasonal["season"] == 12


def test_a_tail_shorter_than_the_horizon_is_a_value_error():
    values = np.arange(30, dtype=float)[:, None]
    meta = metadata_for(values, season=2)
    meta["test_fraction"], meta["horizon"] = 0.02, 3
    with pytest.raises(ValueError, match="horizon"):
        forecast_report(LastValueModel(), meta, values)


def test_a_default_ar_order_too_long_for_the_training_part_skips_that_baseline():
    """AR(window) on 8 training values cannot be fitted: the report leaves it out and says
    why; the model and the other baselines are scored on the same origins (QA round 23)."""
    values = ((np.arange(10) * 3) % 7).astype(float)[:, None]
    meta = metadata_for(values, season=2)
    meta["transform"] = SeriesTransform("none").fit(values, 8).state_dict()
    meta["horizon"], LastValueModel.horizon = 1, 1
    try:
        report = forecast_report(LastValueModel(), meta, values)
    finally:
        LastValueModel.horizon = 2
    assert report["baselines"]["ar"] is None
    assert report["skipped"]["ar"].startswith("the training part (8 values) is too short "
                                              "for AR(5)")
    origins = np.arange(7, 9)  # split 8, window 5: the origins before each tail value
    actual = values[origins + 1, 0]
    assert report["baselines"]["persistence"]["mae"] == \
        pytest.approx(np.abs(actual - values[origins, 0]).mean())
    with pytest.raises(ValueError, match="--ar-order 5"):  # an order the user gave: refused
        forecast_report(LastValueModel(), meta, values, ar_order=5)
