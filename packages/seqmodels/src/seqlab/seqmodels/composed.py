"""The composed path: one (layer, direction) stepped through cells with ordinary autograd ops.

Slow but obviously right: it is the reference the fused kernels are tested against.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd import Tensor, stack, where
from seqlab.seqmodels.cell_kinds import CellKind


def run_direction(kind: CellKind, x: Tensor, h0: Tensor, c0: Tensor | None, weights: tuple,
                  lengths: np.ndarray | None, reverse: bool):
    """Run one direction of one layer over (T, N, F) input; returns (out, h_n, c_n).

    With `lengths`, steps at or after a sequence's length keep its state and output zeros, so
    the reverse direction starts at each sequence's last valid step (as packed sequences do).
    """
    w_ih, w_hh, b_ih, b_hh = weights
    steps = x.shape[0]
    h, c = h0, c0
    outputs: list[Tensor | None] = [None] * steps
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        h_next, c_next = kind.cell(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        if lengths is None:
            h, c = h_next, c_next
            outputs[t] = h_next
            continue
        valid = (t < lengths)[:, None]
        h = where(valid, h_next, h)
        if c is not None:
            c = where(valid, c_next, c)
        outputs[t] = where(valid, h_next, np.zeros((), dtype=h_next.dtype))
    return stack(outputs, 0), h, c
