"""Text coloured by a unit's activation: a colour-blind-safe diverging palette (ColorBrewer
RdBu, 9 classes: blue for the low end, red for the high end, near-white in the middle), a legend,
and the scale each recorded quantity is drawn on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.text import Text

# ColorBrewer RdBu (9), from low to high; marked colour-blind safe by ColorBrewer.
PALETTE = ("#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582",
           "#d6604d", "#b2182b")
DARK = {0, 1, 7, 8}  # classes that need white text
NEWLINE_MARK = "\u21b5"  # shown before a line break so a newline token has a visible colour


@dataclass(frozen=True)
class Scale:
    """The value range mapped onto the palette."""

    low: float
    high: float
    label: str

    def classes(self, values: np.ndarray) -> np.ndarray:
        """Palette class (0..8) of each value."""
        span = (self.high - self.low) or 1.0
        position = (np.asarray(values, dtype=np.float64) - self.low) / span
        return np.clip(np.floor(position * len(PALETTE)), 0, len(PALETTE) - 1).astype(int)


def scale_for(series: str, values: np.ndarray, kind) -> Scale:
    """The scale of a recorded quantity of a `CellKind`: a gate's own range, the hidden
    state's range when it is bounded, and [-m, m] or [0, m] (m = the largest |value|) for
    cell states and ReLU hidden states."""
    gates = dict(zip(kind.gate_names, kind.gate_ranges, strict=True))
    if series in gates:
        low, high = gates[series]
        return Scale(low, high, f"{series} gate")
    low, high = kind.hidden_range if series == "hidden" else (-np.inf, np.inf)
    if np.isfinite(low) and np.isfinite(high):
        return Scale(low, high, f"{series} state")
    largest = float(np.abs(values).max()) or 1.0
    return Scale(max(low, -largest), min(high, largest), f"{series} state")


def colour_style(palette_class: int) -> str:
    """Rich style of one palette class: black or white text on the class colour."""
    text = "white" if palette_class in DARK else "black"
    return f"{text} on {PALETTE[palette_class]}"


def coloured_text(pieces: list[str], values: np.ndarray, scale: Scale) -> Text:
    """The text with each token's background set by its value."""
    text = Text()
    for piece, palette_class in zip(pieces, scale.classes(values), strict=True):
        shown = piece.replace("\n", NEWLINE_MARK + "\n")
        # a line break styled with a background paints to the right edge: keep it plain
        parts = shown.split("\n")
        for index, part in enumerate(parts):
            if index:
                text.append("\n")
            if part:
                text.append(part, style=colour_style(int(palette_class)))
    return text


def legend(scale: Scale) -> Text:
    """One line: the palette's classes with the values at their edges."""
    text = Text(f"{scale.label}: ")
    edges = np.linspace(scale.low, scale.high, len(PALETTE) + 1)
    text.append(f"{edges[0]:+.2g} ")
    for palette_class in range(len(PALETTE)):
        text.append("   ", style=colour_style(palette_class))
    text.append(f" {edges[-1]:+.2g}")
    text.append(f"  (middle {0.5 * (scale.low + scale.high):+.2g})")
    return text


def unit_direction(record, unit: int) -> dict[str, Any]:
    """Which direction of its `LayerRecord` computes `unit`, its index there, and the suffix
    PyTorch gives that direction's parameters (`l1_reverse`: units H..2H-1 of a bidirectional
    layer)."""
    direction, index = record.direction_of(unit)
    return {"direction": direction, "direction_unit": index,
            "parameters": record.parameter_suffix(unit)}


def direction_note(record, unit: int) -> str:
    """' (reverse direction, its unit 2: weights *_l1_reverse)' for a unit of a bidirectional
    `LayerRecord`, in PyTorch's parameter names; '' for a one-direction layer."""
    if record.directions == 1:
        return ""
    where = unit_direction(record, unit)
    return (f" ({where['direction']} direction, its unit {where['direction_unit']}: weights "
            f"*_{where['parameters']})")
