"""A loss curve drawn in the terminal with block characters."""

from __future__ import annotations

import math
from collections.abc import Sequence

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


def loss_chart(train: Sequence[float], valid: Sequence[float], width: int = 60) -> str:
    """Train and validation curves with their ranges, for the end of a run."""
    lines = []
    if train:
        lines.append(f"train loss {sparkline(train, width)}  {train[0]:.3f} -> {train[-1]:.3f}")
    if valid:
        lines.append(f"valid loss {sparkline(valid, width)}  {valid[0]:.3f} -> {valid[-1]:.3f}")
    return "\n".join(lines)
