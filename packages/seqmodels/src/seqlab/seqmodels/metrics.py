"""Metric formulas the heads report: loss in nats and bits, accuracy, forecast errors."""

from __future__ import annotations

import math

import numpy as np

LN2 = math.log(2.0)
# How far above a uniform guess's loss a mean cross-entropy must end to call the run diverged:
# 10 nats is a model giving the right answer e^-10 (about 1/22,000) of the probability a uniform
# guess gives it, on average; overfitting ends a few nats above ln V, diverged weights thousands.
DIVERGED_NATS_ABOVE_UNIFORM = 10.0
# Why `forecast_errors` gives MAPE as NaN: it divides by the actual values and skips zeros
MAPE_UNDEFINED = "every actual value is 0"


def loss_metrics(loss: float) -> dict[str, float]:
    """Loss in nats per token, its perplexity and bits per token."""
    perplexity = math.exp(loss) if loss < 700 else math.inf
    return {"loss": loss, "perplexity": perplexity, "bits_per_token": loss / LN2}


def uniform_loss(classes: int) -> float:
    """The cross-entropy of a uniform guess over `classes` outputs: ln V nats."""
    if classes < 1:
        raise ValueError(f"classes must be at least 1, got {classes}")
    return math.log(classes)


def far_above_uniform(loss: float, classes: int, accuracy: float | None = None) -> bool:
    """Whether a mean cross-entropy (nats) ended far above a uniform guess over `classes`
    outputs (`DIVERGED_NATS_ABOVE_UNIFORM` more): training diverged, even with finite losses.

    With a classifier's `accuracy`, also that it is no better than chance (1 / `classes`): an
    overconfident classifier that is mostly right also has a large loss (a few wrong answers
    at a huge logit margin), but it has not diverged."""
    if accuracy is not None and accuracy > 1.0 / classes:
        return False
    return not loss <= uniform_loss(classes) + DIVERGED_NATS_ABOVE_UNIFORM


def forecast_errors(prediction: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, MAPE and sMAPE (both in percent) of forecasts against actual values.

    MAPE skips actual values of zero (it is undefined there), and is NaN when every actual
    value is 0 (`MAPE_UNDEFINED`; scikit-learn gives a huge number instead); sMAPE uses
    200 * |f - a| / (|f| + |a|), 0 where both are zero.
    """
    prediction = np.asarray(prediction, dtype=np.float64).ravel()
    actual = np.asarray(actual, dtype=np.float64).ravel()
    if prediction.shape != actual.shape or not actual.size:
        raise ValueError(f"forecast_errors needs equal, non-empty shapes, got "
                         f"{prediction.shape} and {actual.shape}")
    error = prediction - actual
    nonzero = actual != 0
    mape = float(np.mean(np.abs(error[nonzero] / actual[nonzero])) * 100) if nonzero.any() \
        else math.nan
    denominator = np.abs(prediction) + np.abs(actual)
    ratio = np.divide(np.abs(error), denominator, out=np.zeros_like(error),
                      where=denominator > 0)
    return {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error ** 2))),
            "mape": mape, "smape": float(np.mean(ratio) * 200)}
