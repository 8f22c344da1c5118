"""Time-series regression: `SequenceRegressor`, `StandardScaler`, windowing and bundled series.

Bundled real data (public domain, in `seqlab/seqmodels/timeseries/`): yearly mean sunspot
numbers 1700-2008 (`load_series("sunspots")`) and weekly Mauna Loa CO2 1958-2001 with missing
weeks as NaN (`load_series("co2")`).
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator, no_grad
from seqlab.autograd.nn import Linear, Module
from seqlab.seqmodels.cell_kinds import cell_kind
from seqlab.seqmodels.recurrent import build_stack

SERIES = {"sunspots": "sunspots.csv", "co2": "co2.csv"}


def load_series(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A bundled series as (time stamps int64, values float64; missing values are NaN)."""
    if name not in SERIES:
        raise ValueError(f"unknown series {name!r}; bundled: {', '.join(SERIES)}")
    text = resources.files("seqlab.seqmodels").joinpath("timeseries", SERIES[name]).read_text()
    rows = list(csv.reader(io.StringIO(text)))[1:]
    stamps = np.array([int(float(row[0])) for row in rows], dtype=np.int64)
    values = np.array([float(row[1]) if row[1].strip() else np.nan for row in rows])
    return stamps, values


def interpolate_missing(values: np.ndarray) -> np.ndarray:
    """Fill NaNs by linear interpolation between neighbours (ends take the nearest value)."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if missing.all():
        raise ValueError("every value is missing: nothing to interpolate from")
    filled = values.copy()
    positions = np.arange(values.shape[0])
    filled[missing] = np.interp(positions[missing], positions[~missing], values[~missing])
    return filled


class StandardScaler:
    """Per-feature standardisation `(x - mean) / scale`, fitted on training data only."""

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def fit(self, values: Any) -> StandardScaler:
        """Learn mean and standard deviation per feature (last axis), ignoring NaNs."""
        array = np.asarray(values, dtype=np.float64)
        flat = array.reshape(-1, 1) if array.ndim <= 1 else array.reshape(-1, array.shape[-1])
        self.mean = np.nanmean(flat, axis=0)
        scale = np.nanstd(flat, axis=0)
        # a constant feature scales by 1 instead of dividing by zero
        self.scale = np.where(scale > 0, scale, 1.0)
        return self

    def _check(self) -> None:
        if self.mean is None:
            raise ValueError("StandardScaler is not fitted: call fit(training_values) first")

    def transform(self, values: Any) -> np.ndarray:
        self._check()
        array = np.asarray(values, dtype=np.float64)
        return (array - self._shaped(self.mean, array)) / self._shaped(self.scale, array)

    def inverse_transform(self, values: Any) -> np.ndarray:
        self._check()
        array = np.asarray(values, dtype=np.float64)
        return array * self._shaped(self.scale, array) + self._shaped(self.mean, array)

    def fit_transform(self, values: Any) -> np.ndarray:
        return self.fit(values).transform(values)

    @staticmethod
    def _shaped(statistic: np.ndarray, array: np.ndarray) -> np.ndarray:
        # a 1-D series was fitted as one feature: keep its shape
        return statistic[0] if statistic.shape == (1,) and array.ndim <= 1 else statistic

    def state_dict(self) -> dict[str, list[float]]:
        """JSON-able statistics (for a checkpoint's metadata)."""
        self._check()
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict[str, list[float]]) -> StandardScaler:
        scaler = cls()
        scaler.mean = np.asarray(state["mean"], dtype=np.float64)
        scaler.scale = np.asarray(state["scale"], dtype=np.float64)
        return scaler


def make_windows(series: Any, window: int, horizon: int = 1, many_to_many: bool = False,
                 target_columns: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows over a (L,) or (L, F) series.

    Returns inputs (M, window, F) and targets (M, horizon, F') where F' counts `target_columns`
    (all features by default): window i is `series[i : i + window]` and its targets are the
    `horizon` values after it. With `many_to_many`, targets are (M, window, horizon, F'): step t
    of a window predicts the `horizon` values after t.
    """
    array = np.asarray(series, dtype=np.float64)
    array = array[:, None] if array.ndim == 1 else array
    if array.ndim != 2:
        raise ValueError(f"series must be (L,) or (L, F), got shape {np.shape(series)}")
    if window < 1 or horizon < 1:
        raise ValueError(f"window and horizon must be positive, got {window}, {horizon}")
    count = array.shape[0] - window - horizon + 1
    if count < 1:
        raise ValueError(
            f"a series of {array.shape[0]} values is too short for window {window} + horizon "
            f"{horizon}; use a shorter window"
        )
    columns = slice(None) if target_columns is None else np.atleast_1d(target_columns)
    target_series = array[:, columns]
    starts = np.arange(count)
    inputs = array[starts[:, None] + np.arange(window)]
    if not many_to_many:
        targets = target_series[starts[:, None] + window + np.arange(horizon)]
        return inputs, targets
    # step t of window i predicts series[i + t + 1 : i + t + 1 + horizon]
    offsets = np.arange(window)[:, None] + 1 + np.arange(horizon)[None, :]
    targets = target_series[starts[:, None, None] + offsets[None]]
    return inputs, targets


class SequenceRegressor(Module):
    """RNN/LSTM/GRU over (N, T, F) input -> Linear to `horizon` x `output_size` values.

    Many-to-one (default): one forecast per sequence, (N, horizon, output_size), read from the
    last step. Many-to-many: a forecast at every step, (N, T, horizon, output_size).

    Trains through `Trainer` on batches `(inputs, targets)` (an `ExampleBatches` over the
    arrays `make_windows` returns), minimising mean squared error.
    """

    kind = "regressor"

    def __init__(self, input_size: int, hidden_size: int, output_size: int = 1,
                 horizon: int = 1, num_layers: int = 1, cell: str = "lstm",
                 many_to_many: bool = False, dropout: float = 0.0, dtype: Any = np.float32,
                 generator: Any = None) -> None:
        super().__init__()
        cell_kind(cell)  # ValueError for an unknown cell (every head takes cell_kind's names)
        if output_size < 1 or horizon < 1:
            raise ValueError(f"output_size and horizon must be positive, got {output_size}, "
                             f"{horizon}")
        self.generator = as_generator(generator)
        self.input_size, self.output_size, self.horizon = input_size, output_size, horizon
        self.many_to_many = many_to_many
        self._config = {
            "input_size": input_size, "hidden_size": hidden_size, "output_size": output_size,
            "horizon": horizon, "num_layers": num_layers, "cell": cell,
            "many_to_many": bool(many_to_many), "dropout": float(dropout),
            "dtype": np.dtype(dtype).name,
        }
        self.rnn = build_stack(cell, input_size, hidden_size, num_layers, dropout=dropout,
                               batch_first=True, dtype=dtype, generator=self.generator)
        self.head = Linear(hidden_size, horizon * output_size, dtype=dtype,
                           generator=self.generator)

    @property
    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this architecture (JSON-able)."""
        return {"model": "SequenceRegressor", **self._config}

    @classmethod
    def from_config(cls, config: dict[str, Any], generator: Any = None) -> SequenceRegressor:
        options = {key: value for key, value in config.items() if key != "model"}
        return cls(**options, generator=generator)

    def forward(self, x: Any, lengths: Any = None) -> Tensor:
        """Forecasts for inputs (N, T, input_size)."""
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=self.rnn.dtype))
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"input must be (N, T, {self.input_size}), got {x.shape}")
        output, _ = self.rnn(x, None, lengths=lengths)
        batch, steps = x.shape[0], x.shape[1]
        if self.many_to_many:
            return self.head(output).reshape(batch, steps, self.horizon, self.output_size)
        if lengths is None:
            last = output[:, steps - 1]
        else:
            last = output[np.arange(batch), np.asarray(lengths) - 1]
        return self.head(last).reshape(batch, self.horizon, self.output_size)

    # ------------------------------------------------------------------ Trainer protocol
    def training_loss(self, batch: tuple[np.ndarray, np.ndarray],
                      carry: Any = None) -> tuple[Tensor, int, None]:
        """Mean squared error of a batch of windows, its window count, no carry."""
        inputs, targets = batch
        prediction = self.forward(np.asarray(inputs, dtype=self.rnn.dtype))
        target = Tensor(np.asarray(targets, dtype=self.rnn.dtype).reshape(prediction.shape))
        return ((prediction - target) ** 2).mean(), len(inputs), None

    def evaluation_metrics(self, batches: Any) -> dict[str, float]:
        """Mean squared error ("loss") and mean absolute error over `batches` (model units)."""
        squared, absolute, count = 0.0, 0.0, 0
        for inputs, targets in batches:
            prediction = self.forward(np.asarray(inputs, dtype=self.rnn.dtype)).data
            error = prediction.astype(np.float64) - np.reshape(targets, prediction.shape)
            squared += float(np.sum(error ** 2))
            absolute += float(np.sum(np.abs(error)))
            count += error.size
        if not count:
            raise ValueError("no windows to evaluate")
        return {"loss": squared / count, "mae": absolute / count}

    def predict(self, x: Any, batch_size: int = 1024) -> np.ndarray:
        """Forecasts as an ndarray, in eval mode without a graph."""
        was_training = self.training
        self.eval()
        with no_grad():
            array = np.asarray(x, dtype=self.rnn.dtype)
            parts = [self.forward(array[start : start + batch_size]).data
                     for start in range(0, array.shape[0], batch_size)]
        self.train(was_training)
        return np.concatenate(parts)
