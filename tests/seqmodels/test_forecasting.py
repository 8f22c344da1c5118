"""Forecasting helpers against hand computations: baselines, AR fit, transforms, errors."""

import math

import numpy as np
import pytest

from seqlab.seqmodels.forecasting import (
    SeriesTransform,
    ar_forecasts,
    estimate_season,
    evaluation_origins,
    fit_ar,
    persistence,
    read_series,
    seasonal_naive,
    split_index,
    training_windows,
)
from seqlab.seqmodels.metrics import forecast_errors


def test_forecast_errors_by_hand():
    errors = forecast_errors(np.array([2.0, 0.0, 5.0]), np.array([1.0, 0.0, 4.0]))
    assert errors["mae"] == pytest.approx(2 / 3)
    assert errors["rmse"] == pytest.approx(math.sqrt(2 / 3))
    assert errors["mape"] == pytest.approx((1 / 1 + 1 / 4) / 2 * 100)  # zero actual skipped
    assert errors["smape"] == pytest.approx((1 / 3 + 0 + 1 / 9) / 3 * 200)


def test_baselines_by_hand():
    values = np.arange(20, dtype=float)[:, None] ** 2
    origins = np.array([9, 12])
    assert persistence(values, origins, 2).tolist() == [[81, 81], [144, 144]]
    # season 4, horizon 5: steps 1-4 look back 4, step 5 looks back 8
    naive = seasonal_naive(values, origins, 5, 4)
    assert naive[0].tolist() == [v ** 2 for v in (6, 7, 8, 9, 6)]


def test_ar_fit_recovers_a_simulated_process_and_forecasts_recursively():
    rng = np.random.default_rng(0)
    series = np.zeros(4000)
    for t in range(2, series.size):
        series[t] = 0.5 + 0.6 * series[t - 1] - 0.3 * series[t - 2] + rng.normal(0, 0.1)
    coefficients = fit_ar(series[:, None], 3000, 2)
    assert np.allclose(coefficients, [0.5, 0.6, -0.3], atol=0.03)
    forecasts = ar_forecasts(series[:, None], np.array([3500]), 2, coefficients)
    c, a1, a2 = coefficients
    first = c + a1 * series[3500] + a2 * series[3499]
    assert forecasts[0].tolist() == pytest.approx([first, c + a1 * first + a2 * series[3500]])


@pytest.mark.parametrize("kind", ["none", "difference", "detrend"])
def test_transforms_are_fitted_on_the_training_part_and_invert(kind):
    time = np.arange(60, dtype=float)
    values = np.column_stack([3 + 0.5 * time + np.sin(time), np.cos(time)])
    split = 45
    transform = SeriesTransform(kind).fit(values, split)
    changed = values.copy()
    changed[split:] += 1000  # the tail must not move anything fitted
    assert np.allclose(SeriesTransform(kind).fit(changed, split).scaler.mean,
                       transform.scaler.mean)
    view = transform.transform(values)
    # the model's exact outputs for origin 50 give back the true next values
    origin, horizon = 50, 3
    levels = transform.levels(values, origin, view[origin + 1 : origin + 1 + horizon, 0])
    assert np.allclose(levels, values[origin + 1 : origin + 1 + horizon, 0])


def test_windows_never_reach_into_the_held_out_tail():
    values = np.arange(30, dtype=float)[:, None]
    split = split_index(30, 0.2)
    inputs, targets = training_windows(values, 0, split, 5, 2)
    assert split == 24 and targets.max() < split and inputs.shape == (18, 5, 1)
    origins = evaluation_origins(30, split, 2, 5, 0)
    assert origins.tolist() == list(range(23, 28))
    with pytest.raises(ValueError, match="too short"):
        training_windows(values, 0, split, 30, 1)


def test_read_series_interpolates_and_names_bad_cells(tmp_path):
    good = tmp_path / "s.csv"
    good.write_text("t,y,x\n1,1.0,5\n2,,6\n3,3.0,NA\n4,4.0,8\n")
    series = read_series(good, "y", ["x"], "t")
    assert series.values.tolist() == [[1, 5], [2, 6], [3, 7], [4, 8]]
    assert series.interpolated == 2 and series.stamps == ["1", "2", "3", "4"]
    bad = tmp_path / "bad.csv"
    bad.write_text("t,y\n1,1.0\n2,abc\n")
    with pytest.raises(ValueError, match=r"bad.csv:3.*'y'.*not a number"):
        read_series(bad, "y")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("t,y\n1,1.0\n2,2.0,7\n")
    with pytest.raises(ValueError, match="3 fields"):
        read_series(ragged, "y")


def test_estimate_season_finds_the_period():
    time = np.arange(400)
    noise = np.random.default_rng(0).normal(0, 0.1, 400)
    values = (0.05 * time + np.sin(time * 2 * np.pi / 12) + noise)[:, None]
    assert estimate_season(values, 300) == 12
