"""What a recording says: gate saturation and the units that track a property of the text.

Saturation follows Karpathy, Johnson and Fei-Fei (2015), "Visualizing and Understanding
Recurrent Networks": a gate is left-saturated when its activation is below 0.1 and
right-saturated above 0.9. A tanh gate (LSTM g, GRU n) ranges over [-1, 1], so the same tenth
of its range is used: below -0.8 and above 0.8.

Interpretable units are ranked by the absolute Pearson correlation of a unit's activation over
the text with a simple property of the text at each token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqlab.seqmodels.inspection.recording import Recording

SATURATION_MARGIN = 0.1  # fraction of a gate's range counted as saturated at each end
OPENING_BRACKETS = "([{"
CLOSING_BRACKETS = ")]}"
QUOTES = "\"\u201c\u201d"


@dataclass
class GateSaturation:
    """One gate of one layer: per unit, the fraction of steps left / right saturated."""

    layer: int
    gate: str
    left: np.ndarray  # (units,)
    right: np.ndarray  # (units,)

    @property
    def mean_left(self) -> float:
        return float(self.left.mean())

    @property
    def mean_right(self) -> float:
        return float(self.right.mean())

    def mostly(self, side: str, share: float = 0.5) -> int:
        """Units saturated on `side` ('left'/'right') more than `share` of the time."""
        values = self.left if side == "left" else self.right
        return int((values > share).sum())


def saturation(recording: Recording) -> list[GateSaturation]:
    """Left/right saturation fractions of every gate of every layer (over all steps and
    sequences of the recording)."""
    kind = recording.kind
    result = []
    for record in recording.layers:
        for name, (low, high) in zip(kind.gate_names, kind.gate_ranges, strict=True):
            values = record.gates[name].reshape(-1, record.units)
            margin = SATURATION_MARGIN * (high - low)
            result.append(GateSaturation(record.layer, name,
                                         (values < low + margin).mean(axis=0),
                                         (values > high - margin).mean(axis=0)))
    return result


def text_properties(pieces: Sequence[str]) -> dict[str, np.ndarray]:
    """Per token (its text `pieces[t]`): 'position_in_line' (characters since the last
    newline, at the token's end), 'inside_quotes' and 'inside_brackets' (1 from an opening
    quote or bracket to its closing one, both included), 'word_boundary' (1 for a token with no
    letter or digit: spaces, punctuation)."""
    position, depth, quoted = 0, 0, False
    columns: dict[str, list[float]] = {name: [] for name in
                                       ("position_in_line", "inside_quotes", "inside_brackets",
                                        "word_boundary")}
    for piece in pieces:
        in_quotes = quoted
        in_brackets = depth > 0
        for char in piece:
            if char == "\n":
                position = 0
            else:
                position += 1
            if char in QUOTES:
                quoted = not quoted
            elif char in OPENING_BRACKETS:
                depth += 1
            elif char in CLOSING_BRACKETS:
                depth = max(depth - 1, 0)
            in_quotes = in_quotes or quoted
            in_brackets = in_brackets or depth > 0
        columns["position_in_line"].append(position)
        columns["inside_quotes"].append(float(in_quotes))
        columns["inside_brackets"].append(float(in_brackets))
        columns["word_boundary"].append(float(not any(char.isalnum() for char in piece)))
    return {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}


def correlations(activations: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of `activations` (T, U) with `values` (T,); 0 where
    either does not vary."""
    a = activations.astype(np.float64) - activations.mean(axis=0)
    v = values.astype(np.float64) - values.mean()
    scale = np.sqrt((a**2).sum(axis=0) * (v**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        result = (a * v[:, None]).sum(axis=0) / scale
    return np.where(scale > 1e-12, result, 0.0)


@dataclass(frozen=True)
class UnitScore:
    """A unit whose activation tracks a property: its Pearson correlation (sign kept)."""

    layer: int
    state: str  # 'hidden' or 'cell'
    unit: int
    property: str
    correlation: float

    @property
    def score(self) -> float:
        """|correlation|, what units are ranked by."""
        return abs(self.correlation)


def interpretable_units(recording: Recording, properties: dict[str, np.ndarray],
                        top: int = 5, sequence: int = 0,
                        per_property: bool = False,
                        layer: int | None = None) -> list[UnitScore]:
    """The units whose state (hidden, or cell for an LSTM) best tracks a property over
    sequence `sequence`, by |Pearson correlation|, best first.

    By default the `top` best (layer, state, unit) overall, each with its best property; with
    `per_property`, the `top` best units of each property. Properties that do not vary over
    the text score 0 and are left out. With `layer`, only that layer's units are ranked.
    """
    scores: dict[str, list[UnitScore]] = {name: [] for name in properties}
    for record in recording.layers:
        if layer is not None and record.layer != layer:
            continue
        for state, series in record.states.items():
            activations = series[:, sequence, :]
            for name, values in properties.items():
                if values.shape[0] != activations.shape[0]:
                    raise ValueError(f"property {name!r} has {values.shape[0]} values for "
                                     f"{activations.shape[0]} steps")
                scores[name].extend(
                    UnitScore(record.layer, state, unit, name, float(value))
                    for unit, value in enumerate(correlations(activations, values))
                    if value != 0.0)
    if per_property:
        chosen = [score for name in properties
                  for score in sorted(scores[name], key=lambda s: -s.score)[:top]]
        return sorted(chosen, key=lambda s: -s.score)
    candidates = sorted((s for found in scores.values() for s in found), key=lambda s: -s.score)
    chosen, seen = [], set()
    for candidate in candidates:
        key = (candidate.layer, candidate.state, candidate.unit)
        if key not in seen:
            seen.add(key)
            chosen.append(candidate)
        if len(chosen) == top:
            break
    return chosen
