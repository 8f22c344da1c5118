"""A loss curve drawn in the terminal with block characters."""

from __future__ import annotations

import math
from collections.abc import Sequence

from seqlab.cli.loss_display import loss_text

BLOCKS = " ▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 60) -> str:
    """One line of block characters, the series resampled to `width` columns."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [sum(values[int(i * step):max(int((i + 1) * step), int(i * step) + 1)])
                  / max(int((i + 1) * step) - int(i * step), 1) for i in range(width)]
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    return "".join(BLOCKS[1 + int((v - low) / span * (len(BLOCKS) - 2))]
                   if math.isfinite(v) else " " for v in values)


def loss_chart(train: Sequence[float], valid: Sequence[float], width: int = 60,
               columns: int = 79) -> str:
    """Train and validation curves with their ranges, for the end of a run: each line fits
    in `columns` (an 80-column terminal by default; the curves narrow to fit, not wrap)."""
    ranges = {name: f"  {loss_text(values[0])} -> {loss_text(values[-1])}"
              for name, values in (("train", train), ("valid", valid)) if values}
    label = len("train loss ")
    width = max(8, min(width, columns - label - max(map(len, ranges.values()), default=0)))
    lines = []
    for name, values in (("train", train), ("valid", valid)):
        if values:
            lines.append(f"{name} loss {sparkline(values, width)}{ranges[name]}")
    return "\n".join(lines)


def line_plot(series: dict[str, Sequence[float]], height: int = 12, width: int = 72) -> str:
    """Several series on one character grid (first: '·', then '*', 'o', '+'), with a legend
    and the value range; longer series are resampled to `width` columns."""
    marks = "·*o+"
    finite = [v for values in series.values() for v in values if math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    grid = [[" "] * width for _ in range(height)]
    for mark, values in zip(marks, series.values(), strict=False):
        count = len(values)
        for column in range(min(width, count)):
            index = int(column * count / min(width, count))
            value = values[index]
            if math.isfinite(value):
                row = height - 1 - int((value - low) / span * (height - 1))
                grid[row][column] = mark
    lines = ["".join(row).rstrip() for row in grid]
    lines[0] = f"{lines[0]:<{width}}  {high:.4g}"
    lines[-1] = f"{lines[-1]:<{width}}  {low:.4g}"
    legend = "   ".join(f"{mark} {name}" for mark, name in zip(marks, series, strict=False))
    return "\n".join([*lines, legend])
