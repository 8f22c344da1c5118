"""Weights as a per-step product should read them: starting on a cache line.

Where a Parameter's array starts is malloc's, set by everything the process allocated before
it: the same model in two processes (or two source trees) gets W_hh 0, 16, 32 or 48 bytes past
a 64-byte line. The no-grad time loops below the panels' batch read W_hh every step, and read
it slower off a line (AMD EPYC Zen 4, one thread, float32, benchmarks/weight_placement.py):
OpenBLAS's small GEMM h @ W_hh^T (1 x 256 by 256 x 1024) 15.8-16.2 us at 16 or 48 bytes past
against 13.9-14.2 at 0 or 32 (`BLAS_LINE_BYTES`: it loads 32 bytes at a time), and a whole
Embedding -> LSTM(256, 2 layers) -> Linear call at batch 1 x 64 3.36-3.38 ms against 3.11-3.14;
the unit team's kernel (`kernels.recurrent_units_stack`, 64-byte loads) 4.0 ms against 3.56 at
0 and 3.81 at 32. Such a loop reads a copy on a line instead: the array's address and size and
the call's steps decide it, never a call's history, and both read the weights in one order
(the same bits). The copy (~35 us for 1 MiB, two or three products' worth) pays from
`MIN_STEPS` steps (~2 us saved a product; a decoder stepping one step a call under no_grad
reads the weights where they are) and from `MIN_BYTES` (LSTM(128, 128), W_hh 256 KiB, batch 1:
4.0 against 4.5 us a product, and the call with a copy 420-425 us against 392-397 on a line
and 425-428 off it: the copy took what it saved).
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd.workspace import LINE_BYTES, empty

MIN_STEPS = 32  # a loop of fewer steps reads the weights where they are
MIN_BYTES = 512 << 10  # ... and so does one over a smaller W_hh
BLAS_LINE_BYTES = 32  # OpenBLAS's small GEMM read W_hh as fast at 32 bytes past a line as at 0


def line_started(array: np.ndarray, steps: int, line: int = LINE_BYTES) -> np.ndarray:
    """`array` itself when it is C-contiguous and starts on a multiple of `line` bytes, or a
    loop of fewer than `MIN_STEPS` steps or an array under `MIN_BYTES` would not pay for a copy;
    else a C-contiguous copy starting on a 64-byte line (`workspace.empty`: memory reused, no
    page faults)."""
    if (steps < MIN_STEPS or array.nbytes < MIN_BYTES
            or (array.flags.c_contiguous and array.ctypes.data % line == 0)):
        return array
    copy = empty(array.shape, array.dtype)
    np.copyto(copy, array)
    return copy


def on_line(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of `array` starting on a 64-byte line, for weights a caller lays out
    once and reads every token (`generation_step.GenerationPlan`: a 2 x 256 LSTM's step took
    46.8 us with its W_hh^T and W_ih^T on a line, 49.4 at 16 bytes past, 47.5 at 32). Its own
    memory, not `workspace`'s: the caller keeps it (a plan lives for a whole generation run)."""
    raw = np.empty(array.nbytes + LINE_BYTES, np.uint8)
    start = -raw.ctypes.data % LINE_BYTES
    copy = raw[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    np.copyto(copy, array)
    return copy
