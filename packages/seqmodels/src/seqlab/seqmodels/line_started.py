"""Weights as a per-step product should read them: starting on a 64-byte line.

Where a Parameter's array starts is malloc's, set by everything the process allocated before
it: the same model in two processes (or two source trees) gets W_hh 0, 16, 32 or 48 bytes past
a line. The no-grad time loops below the panels' batch read W_hh every step, and read it slower
off a line (AMD EPYC Zen 4, one thread, float32, H 256): OpenBLAS's small GEMM h @ W_hh^T
(1 x 256 by 256 x 1024) 16.0-16.2 us at 16 or 48 bytes past against 14.1-14.2 at 0 or 32; the
unit team's kernel (`kernels.recurrent_units_stack`, run as one part) over Embedding -> LSTM(256,
2 layers), batch 1 x 64, 4.1 ms a call against 3.5. Such a loop reads a copy on a line instead:
its address and the call's steps, never a call's history, decide it, and both read the weights
in one order (the same bits). The copy (~35 us for 1 MiB, two or three products' worth) pays
from `MIN_STEPS` steps on (~2 us saved a product): a caller stepping one step a call (a decoder
under no_grad) reads the weights where they are.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd.workspace import LINE_BYTES, empty

# a loop of fewer steps reads the weights where they are (the copy would cost more)
MIN_STEPS = 32


def line_started(array: np.ndarray, steps: int = MIN_STEPS) -> np.ndarray:
    """`array` itself when it is C-contiguous and starts on a 64-byte line or a loop of `steps`
    steps will read it (fewer than `MIN_STEPS`: the copy would cost more than it saves), else a
    C-contiguous copy that starts on a line (`workspace.empty`: memory reused, no page
    faults)."""
    if steps < MIN_STEPS or (array.flags.c_contiguous and array.ctypes.data % LINE_BYTES == 0):
        return array
    copy = empty(array.shape, array.dtype)
    np.copyto(copy, array)
    return copy
