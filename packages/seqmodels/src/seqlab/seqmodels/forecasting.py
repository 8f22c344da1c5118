"""Forecasting around a `SequenceRegressor`: series from CSV, transforms fitted on the training
part only, rolling-origin windows, recursive/direct forecasts, and the classic baselines.

Indexing: a series is (L, F) with the target in column 0. The held-out tail is every index
>= `split`. An origin t is the last observed index; a forecast covers t+1 .. t+H. Training
windows only use origins whose targets lie before `split`; evaluation origins are every t with
t+1 >= split and t+H < L (the model sees the actual values up to t, as in practice).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd.csv_header import line_delimiter, missing_column
from seqlab.autograd.wide_text import not_utf8_message
from seqlab.seqmodels.decimal_marks import (
    decimal_comma_column,
    decimal_comma_refusal,
    space_thousands_refusal,
)
from seqlab.seqmodels.missing_cells import MISSING, is_missing  # noqa: F401 (MISSING: re-exported)
from seqlab.seqmodels.regressor import StandardScaler, interpolate_missing
from seqlab.seqmodels.series_rows import future_start, missing_future_feature, row_ranges
from seqlab.seqmodels.time_stamps import check_time_order

TRANSFORMS = ("none", "difference", "detrend")
# larger magnitudes overflow float64 once squared (errors, scaling): refused as they are read
MAX_ABS = 1e150


@dataclass
class Series:
    """Values (L, F) (target first), their column names, optional time stamps, how many
    missing values were interpolated and where, and the rows to forecast.

    `future` (K, F) holds the last rows of the input whose target is empty (a future frame):
    NaN targets and the known features as read; they are not part of `values`."""

    values: np.ndarray
    columns: list[str]
    stamps: list[str] | None
    interpolated: int = 0
    missing_rows: str | None = None  # "sales.csv:5, 12-14": the rows where values were filled
    future: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    future_stamps: list[str] | None = None
    future_rows: str | None = None  # "sales.csv:62-65"
    future_lines: list[int] | None = None  # their line numbers in the file
    source: str = "the series"

    def missing_future_feature(self, steps: int) -> str | None:
        """A message naming the first empty feature among the first `steps` rows to
        forecast, or None."""
        return missing_future_feature(self.future, self.columns, steps, self.future_lines,
                                      self.source)


def _number(text: str, column: str, where: str, delimiter: str = ",",
            decimal_comma: bool = False) -> float:
    if is_missing(text):
        return math.nan
    try:
        value = float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        refusal = decimal_comma_refusal(text, column, where, delimiter)
        raise ValueError(refusal or f"{where}: column {column!r} holds {text!r}, not a number; "
                         "pick a numeric column with --target/--features") from None
    if not abs(value) <= MAX_ABS:
        raise ValueError(f"{where}: column {column!r} holds {text.strip()!r}, "
                         f"{'not a finite number' if math.isinf(value) else 'too large'} "
                         f"(values must lie within +-{MAX_ABS:g}); fix or rescale the value, "
                         "or leave the cell empty to interpolate it")
    return value


def read_series(path: str | Path, target: str, features: list[str] | None = None,
                time_column: str | None = None, errors: str = "strict") -> Series:
    """Numeric columns of a CSV file with a header (target first); missing values interpolated.

    The header line gives the delimiter (`seqlab.autograd.csv_header`: the extension's, tab
    for .tsv/.tab and a comma otherwise, else `;`, tab or `|`). In a `;` file, a column whose
    every number has a decimal comma is read with it (`seqlab.seqmodels.decimal_marks`).
    With `time_column`, rows out of time order or with a repeated stamp are refused
    (`seqlab.seqmodels.time_stamps`).

    A byte-order mark at the start of the file is dropped (as `utf-8-sig` does); `errors`
    ('strict', 'replace', 'ignore') is what decoding does with bytes that are not UTF-8."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"series file not found: {path} (check the path)")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8", errors)
        if data.startswith(b"\xef\xbb\xbf"):  # the mark itself, not a U+FEFF that --errors left
            text = text[1:]
    except UnicodeDecodeError:
        raise ValueError(not_utf8_message(path)) from None
    columns = [target, *(features or [])]
    asked = [*columns, *([time_column] if time_column else [])]
    delimiter = line_delimiter(text.partition("\n")[0], path, asked)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(rows)]
    except StopIteration:
        raise ValueError(f"{path} is empty: expected a header row naming the columns") from None
    for name, option in [*((c, "--target/--features") for c in columns),
                         *(((time_column, "--time-column"),) if time_column else ())]:
        if name not in header:
            raise missing_column(path, name, option, header, asked, delimiter)
    positions = [header.index(name) for name in columns]
    cells, stamps, lines = [], [], []
    for number, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():  # a blank or whitespace-only line
            continue
        if len(row) != len(header):
            raise ValueError(f"{path}:{number}: {len(row)} fields where the header has "
                             f"{len(header)}; fix the row")
        cells.append([row[p] for p in positions])
        lines.append(number)
        if time_column:
            stamps.append(row[header.index(time_column)])
    if not cells:
        raise ValueError(f"{path} has a header but no rows")
    commas = [decimal_comma_column((row[j] for row in cells), delimiter)
              for j in range(len(columns))]
    for j, comma in enumerate(commas):
        refusal = None if comma else space_thousands_refusal(
            (row[j] for row in cells), columns[j], (f"{path}:{line}" for line in lines),
            delimiter)
        if refusal:
            raise ValueError(refusal)
    values = [[_number(text, name, f"{path}:{line}", delimiter, comma)
               for text, name, comma in zip(row, columns, commas, strict=True)]
              for row, line in zip(cells, lines, strict=True)]
    if time_column:
        check_time_order(stamps, lines, time_column, lambda line: f"{path}:{line}")
    return finish_series(np.array(values, dtype=np.float64), columns,
                         stamps if time_column else None, lines, str(path))


def finish_series(values: np.ndarray, columns: list[str], stamps: list[str] | None,
                  lines: list[int] | None = None, source: str = "the series") -> Series:
    """Split off the last rows whose target is empty (the rows to forecast), then interpolate
    the gaps left in the history column by column; a column with no value is a ValueError.

    `lines` are the rows' line numbers in `source` (a file name), for the messages."""
    values = values.reshape(values.shape[0], -1)
    numbers = list(lines) if lines else list(range(1, len(values) + 1))
    row_prefix = f"{source}:" if lines else f"{source}, values "  # file:line, as editors take it
    if np.isnan(values[:, 0]).all():
        raise ValueError(f"column {columns[0]!r} has no values: only rows to forecast "
                         f"({row_prefix}{row_ranges(numbers)}); put the history rows, with their "
                         f"{columns[0]!r} values, before them")
    start = future_start(values[:, 0])
    values, future = values[:start].copy(), values[start:].copy()
    gaps = np.isnan(values).any(axis=1)
    missing = int(np.isnan(values).sum())
    for column in range(values.shape[1]):
        if np.isnan(values[:, column]).all():
            raise ValueError(f"column {columns[column]!r} has no values")
        values[:, column] = interpolate_missing(values[:, column])
    series = Series(values, columns, stamps[:start] if stamps else None, missing, source=source)
    if missing:
        series.missing_rows = row_prefix + row_ranges([n for n, g in zip(numbers, gaps) if g])
    if len(future):
        series.future = future
        series.future_stamps = stamps[start:] if stamps else None
        series.future_lines = numbers[start:] if lines else None
        series.future_rows = row_prefix + row_ranges(numbers[start:])
    return series


def embedded_series(name: str) -> Series:
    """A bundled series (`sunspots`, `co2`) as a `Series`."""
    from seqlab.seqmodels.regressor import SERIES, load_series

    if name not in SERIES:
        raise ValueError(f"--series must be one of {', '.join(SERIES)}, got {name!r}")
    stamps, values = load_series(name)
    return finish_series(values[:, None].copy(), [name], [str(s) for s in stamps],
                         source=f"the {name} series")


class SeriesTransform:
    """Differencing or linear detrending, then standardisation, all fitted on the training
    part only; `levels()` turns model outputs back into target values."""

    def __init__(self, kind: str = "none") -> None:
        if kind not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {kind!r}")
        self.kind = kind
        self.scaler = StandardScaler()
        self.trend: np.ndarray | None = None  # (F, 2): intercept, slope per column

    @property
    def first_index(self) -> int:
        """The first index with a transformed value (differences start at 1)."""
        return 1 if self.kind == "difference" else 0

    def _raw(self, values: np.ndarray) -> np.ndarray:
        if self.kind == "difference":
            out = np.zeros_like(values)
            out[1:] = values[1:] - values[:-1]
            return out
        if self.kind == "detrend":
            time = np.arange(values.shape[0], dtype=np.float64)[:, None]
            return values - (self.trend[:, 0] + time * self.trend[:, 1])
        return values

    def fit(self, values: np.ndarray, split: int) -> SeriesTransform:
        """Fit on `values[:split]` only."""
        train = values[:split]
        if self.kind == "detrend":
            time = np.column_stack([np.ones(split), np.arange(split, dtype=np.float64)])
            coefficients, *_ = np.linalg.lstsq(time, train, rcond=None)
            self.trend = coefficients.T.copy()
        self.scaler.fit(self._raw(train)[self.first_index:])
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        """The model's view of the whole series (L, F)."""
        return self.scaler.transform(self._raw(values))

    def levels(self, values: np.ndarray, origin: int, outputs: np.ndarray) -> np.ndarray:
        """Target values at origin+1 .. origin+H from scaled model outputs (H,)."""
        raw = outputs * self.scaler.scale[0] + self.scaler.mean[0]
        if self.kind == "difference":
            return values[origin, 0] + np.cumsum(raw)
        if self.kind == "detrend":
            steps = origin + 1 + np.arange(len(raw))
            return raw + self.trend[0, 0] + steps * self.trend[0, 1]
        return raw

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "scaler": self.scaler.state_dict(),
                "trend": None if self.trend is None else self.trend.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> SeriesTransform:
        transform = cls(state["kind"])
        transform.scaler = StandardScaler.from_state_dict(state["scaler"])
        transform.trend = None if state.get("trend") is None else np.asarray(state["trend"])
        return transform


def split_index(length: int, test_fraction: float) -> int:
    """Where the held-out tail starts: the last `test_fraction` of the series."""
    return length - round(length * test_fraction)


def training_windows(model_view: np.ndarray, first: int, split: int, window: int,
                     horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (M, W, F) and targets (M, H, 1) with every target before `split`."""
    origins = np.arange(first + window - 1, split - horizon)
    if not origins.size:
        raise ValueError(f"the training part ({split} values) is too short for window "
                         f"{window} + horizon {horizon}; use a shorter --window or --horizon, "
                         "or a smaller --test-fraction")
    inputs = model_view[origins[:, None] - window + 1 + np.arange(window)]
    targets = model_view[origins[:, None] + 1 + np.arange(horizon), :1]
    return inputs, targets


def evaluation_origins(length: int, split: int, horizon: int, window: int,
                       first: int) -> np.ndarray:
    """Origins whose whole forecast lies in the held-out tail."""
    start = max(split - 1, first + window - 1)
    origins = np.arange(start, length - horizon)
    if not origins.size:
        raise ValueError(f"the held-out tail ({length - split} values) is shorter than the "
                         f"horizon {horizon}; use a larger --test-fraction or a shorter horizon")
    return origins


def model_forecasts(model: Any, transform: SeriesTransform, values: np.ndarray,
                    origins: np.ndarray, window: int) -> np.ndarray:
    """Direct forecasts (len(origins), H) in target units, from the actual values up to each
    origin."""
    view = transform.transform(values)
    inputs = view[origins[:, None] - window + 1 + np.arange(window)]
    outputs = model.predict(inputs)[:, :, 0].astype(np.float64)
    return np.stack([transform.levels(values, origin, row)
                     for origin, row in zip(origins, outputs, strict=True)])


def forecast_ahead(model: Any, transform: SeriesTransform, values: np.ndarray, window: int,
                   steps: int, future_features: np.ndarray | None = None
                   ) -> tuple[np.ndarray, str]:
    """The next `steps` target values after the series, and the method: "direct" while steps
    <= the model's horizon, else "recursive" (predictions fed back).

    A model with extra features forecasts recursively only from their known future values,
    `future_features` (at least `steps` rows, F - 1 columns: a future frame's features)."""
    horizon = model.horizon
    if steps <= horizon:
        origin = np.array([values.shape[0] - 1])
        return model_forecasts(model, transform, values, origin, window)[0, :steps], "direct"
    features = values.shape[1] - 1
    if features and (future_features is None or future_features.shape[0] < steps):
        raise ValueError(f"{steps} steps ahead exceed the model's horizon {horizon}, and a "
                         "model with extra features forecasts past it only from their known "
                         "future values; add the rows to forecast after the history (target "
                         f"empty, features filled), or train it with --horizon {steps}")
    extended = values.copy()
    while extended.shape[0] < values.shape[0] + steps:
        origin = np.array([extended.shape[0] - 1])
        block = model_forecasts(model, transform, extended, origin, window)[0]
        if features:
            done = extended.shape[0] - values.shape[0]
            known = future_features[done : done + block.size]
            block = np.column_stack([block[: known.shape[0]], known])
        extended = np.concatenate([extended, block.reshape(block.shape[0], -1)])
    return extended[values.shape[0] : values.shape[0] + steps, 0], "recursive"


def persistence(values: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value, repeated."""
    return np.repeat(values[origins, 0][:, None], horizon, axis=1)


def seasonal_naive(values: np.ndarray, origins: np.ndarray, horizon: int,
                   season: int) -> np.ndarray:
    """The value one season (or whole seasons) before each target, from observed values."""
    steps = np.arange(1, horizon + 1)
    back = season * np.ceil(steps / season).astype(int)
    return values[origins[:, None] + steps[None, :] - back[None, :], 0]


def estimate_season(values: np.ndarray, split: int, longest: int = 400) -> int:
    """The lag (2 .. `longest`, at most a third of the training part) where the differenced
    training target correlates best with itself: a season for seasonal naive when none is
    given."""
    changes = np.diff(values[:split, 0])
    changes = changes - changes.mean()
    top = min(longest, changes.size // 3)
    if top < 2 or not np.any(changes):
        return 1
    energy = float(np.dot(changes, changes))
    scores = [float(np.dot(changes[lag:], changes[:-lag])) / energy
              for lag in range(2, top + 1)]
    return 2 + int(np.argmax(scores))


def fit_ar(values: np.ndarray, split: int, order: int) -> np.ndarray:
    """Least-squares AR(p) with intercept on the target's training part: (p + 1,) coefficients."""
    target = values[:split, 0]
    if split <= 2 * order + 1:
        raise ValueError(f"the training part ({split} values) is too short for AR({order})")
    rows = np.arange(order, split)
    design = np.column_stack([np.ones(rows.size), *(target[rows - lag]
                                                     for lag in range(1, order + 1))])
    coefficients, *_ = np.linalg.lstsq(design, target[rows], rcond=None)
    return coefficients


def ar_forecasts(values: np.ndarray, origins: np.ndarray, horizon: int,
                 coefficients: np.ndarray) -> np.ndarray:
    """Recursive AR(p) forecasts from the observed values up to each origin."""
    order = coefficients.size - 1
    forecasts = np.zeros((origins.size, horizon))
    for row, origin in enumerate(origins):
        history = list(values[origin - order + 1 : origin + 1, 0])
        for step in range(horizon):
            lags = history[::-1][:order]
            value = coefficients[0] + float(np.dot(coefficients[1:], lags))
            forecasts[row, step] = value
            history.append(value)
    return forecasts
