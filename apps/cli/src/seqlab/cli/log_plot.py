"""Log-scale terminal plots side by side: one panel per model, every panel on the same y axis,
one character per series (colour is extra, so the plot reads without it)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency
COLOURS = ("#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#0072b2", "#d55e00")
FLOOR = -30.0  # log10 of the smallest ratio drawn; zeros and smaller values sit on it
LABEL_WIDTH = 7  # "1e-10 |"
GAP = 2


def _log_ratio(value: float | None, reference: float | None) -> float:
    if value is None or reference is None or not (value > 0 and reference > 0):
        return FLOOR
    if math.isinf(value) or math.isinf(reference):
        return -FLOOR if math.isinf(value) else FLOOR
    return min(max(math.log10(value / reference), FLOOR), -FLOOR)


def log_panels(panels: dict[str, dict[str, Sequence[float | None]]], markers: dict[str, str],
               styles: dict[str, str] | None = None, width: int = 78, height: int = 10,
               x_label: str = "steps back") -> Text:
    """Each panel's series divided by their first value, log10 on a y axis shared by all
    panels, step index on the x axis; `markers` gives each series' character."""
    styles = styles or {}
    logs = {title: {name: [_log_ratio(v, values[0]) for v in values]
                    for name, values in series.items() if values}
            for title, series in panels.items()}
    every = [v for series in logs.values() for values in series.values() for v in values]
    if not every:
        return Text("(nothing to plot)")
    top, bottom = math.ceil(max(every)), math.floor(min(every))
    if top == bottom:
        top, bottom = top + 1, bottom - 1
    count = len(logs)
    panel_width = max((width - LABEL_WIDTH - GAP * (count - 1)) // count, 8)
    grids = [_panel(series, markers, panel_width, height, top, bottom)
             for series in logs.values()]
    text = Text(" " * LABEL_WIDTH)
    text.append((" " * GAP).join(title.center(panel_width)[:panel_width] for title in logs))
    text.append("\n")
    for row in range(height):
        exponent = top - row * (top - bottom) / (height - 1)
        shown = row % 3 == 0 or row == height - 1
        text.append(f"1e{round(exponent):+03d} |" if shown else " " * (LABEL_WIDTH - 1) + "|")
        for index, (cells, names) in enumerate(grids):
            if index:
                text.append(" " * GAP)
            for column, char in enumerate(cells[row]):
                name = names[row][column]
                text.append(char, style=styles.get(name, "") if name else "")
        text.append("\n")
    # each panel's corner sits in the column before it (the label's bar, or the gap)
    axis = (" " * (GAP - 1)).join("+" + "-" * panel_width for _ in range(count))
    text.append(" " * (LABEL_WIDTH - 1) + axis + "\n")
    ticks = []
    for series in logs.values():
        longest = max(len(values) for values in series.values())
        right = str(longest - 1)
        ticks.append("0" + x_label.center(panel_width - 1 - len(right))[:panel_width - 1
                                                                         - len(right)] + right)
    text.append(" " * LABEL_WIDTH + (" " * GAP).join(ticks))
    return text


def _panel(series: dict[str, list[float]], markers: dict[str, str], width: int, height: int,
           top: float, bottom: float) -> tuple[list[list[str]], list[list[str | None]]]:
    """The characters of one panel and which series drew each (None: empty or shared)."""
    cells = [[" "] * width for _ in range(height)]
    owners: list[list[str | None]] = [[None] * width for _ in range(height)]
    longest = max(len(values) for values in series.values())
    columns = min(width, longest)
    for name, values in series.items():
        for column in range(columns):
            step = column * longest // columns
            if step >= len(values):
                break
            row = round((top - values[step]) / (top - bottom) * (height - 1))
            shared = cells[row][column] != " " and owners[row][column] != name
            cells[row][column] = "*" if shared else markers.get(name, name[:1])
            owners[row][column] = None if shared else name
    return cells, owners


def legend(markers: dict[str, str]) -> str:
    """What each character means, and how to read the y axis."""
    keys = ", ".join(f"{char} {name}" for name, char in markers.items())
    if len(markers) > 1:  # "*" marks a cell where two series meet
        keys += ", * both"
    indent = " " * LABEL_WIDTH
    return (f"{indent}{keys}\n{indent}y: norm / norm at the last step (log scale, "
            f"floor 1e{int(FLOOR)})")
