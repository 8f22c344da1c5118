"""Several series on one log-scale terminal plot: one letter per series (colour is extra, so the
plot reads without it), one column per group of steps."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency
COLOURS = ("#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#0072b2", "#d55e00")
FLOOR = -30.0  # log10 of the smallest ratio drawn; zeros and smaller values sit on it


def _log_ratio(value: float | None, reference: float | None) -> float:
    if value is None or reference is None or not (value > 0 and reference > 0):
        return FLOOR
    if math.isinf(value) or math.isinf(reference):
        return -FLOOR if math.isinf(value) else FLOOR
    return min(max(math.log10(value / reference), FLOOR), -FLOOR)


def log_plot(series: dict[str, Sequence[float]], markers: dict[str, str], width: int = 56,
             height: int = 10, x_label: str = "steps back from the last step") -> Text:
    """Each series divided by its first value, log10 on the y axis, index on the x axis."""
    logs = {name: [_log_ratio(v, values[0]) for v in values] for name, values in series.items()
            if values}
    if not logs:
        return Text("(nothing to plot)")
    longest = max(len(values) for values in logs.values())
    top = math.ceil(max(max(values) for values in logs.values()))
    bottom = math.floor(min(min(values) for values in logs.values()))
    if top == bottom:
        top, bottom = top + 1, bottom - 1
    columns = min(width, longest)
    grid = [[" "] * columns for _ in range(height)]
    owners = [[None] * columns for _ in range(height)]
    for index, (name, values) in enumerate(logs.items()):
        for column in range(columns):
            step = column * longest // columns
            if step >= len(values):
                break
            row = round((top - values[step]) / (top - bottom) * (height - 1))
            marker = markers.get(name, name[:1].upper())
            taken = grid[row][column] != " " and owners[row][column] != index
            grid[row][column] = "*" if taken else marker
            owners[row][column] = None if taken else index
    text = Text()
    for row in range(height):
        exponent = top - row * (top - bottom) / (height - 1)
        label = f"1e{round(exponent):+03d} |" if row % 3 == 0 or row == height - 1 else "      |"
        text.append(label)
        for column in range(columns):
            owner = owners[row][column]
            style = COLOURS[owner % len(COLOURS)] if owner is not None else ""
            text.append(grid[row][column], style=style)
        text.append("\n")
    text.append("      +" + "-" * columns + "\n")
    right = str(longest - 1)
    text.append(f"       0{x_label.center(columns - 1 - len(right))}{right}\n")
    keys = "  ".join(f"{markers.get(name, name[:1].upper())} {name}" for name in logs)
    text.append(f"       {keys}   (* where two meet)\n")
    text.append(f"       y: norm / norm at the last step, log scale; below 1e{int(FLOOR)} on "
                "the floor")
    return text
