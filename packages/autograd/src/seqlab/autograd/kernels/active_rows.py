"""How many leading rows of a batch a time loop's step must multiply, with per-sequence lengths.

A loop over sequences of `lengths` (N,) runs step `step` only for the sequences with
lengths[n] > step; the rows past a sequence's length are padding its product never reads. The
callers order a call's rows by length, longest first (`seqmodels.length_order`), so the rows
still running at a step are the first ones: the per-step product then runs over those rows
alone, as PyTorch's packed batch shrinks (bi-GRU 128 at batch 256 x 40, lengths 6-40: the
padded rows were ~45% of the products). In any other order the count is still right (the
trailing rows whose sequences ended), only larger. Training calls order their rows too
(`seqmodels.training_length_order`); the backward loops, whose running rows grow as they go
back in time, count from the full batch at every step (a row past the count has a zero
gradient at that step and reads d_hn, not the product, at its last step).

Every row of `panel_gemm_packed_into` is summed over k in order whichever tile computes it, so
fewer rows give each row the same bits. `rows_gemm_into` sums 4-row tiles and its tail rows
differently (fastmath), so there the count is rounded up to whole tiles of the full batch
(`whole_tiles`). A BLAS product keeps every row (OpenBLAS gave other bits at one row, a GEMV,
and at some shapes two rows: float64 (2, 100) x (100, 300)).
"""

import numpy as np
from numba.extending import register_jitable


@register_jitable(inline="always")
def active_rows(lengths, step, active):
    """`active` (the count at the step before, or N) less the trailing rows whose sequences
    have ended by `step` (lengths[n] <= step): the rows 0 .. result-1 hold every sequence
    still running. Counts only go down as `step` grows, so each call starts from the last."""
    while active > 0 and lengths[active - 1] <= step:
        active -= 1
    return active


@register_jitable(inline="always")
def whole_tiles(active, batch, tile):
    """`active` rounded up to whole `tile`-row tiles, or `batch` where that passes the last
    whole tile of the full batch (its tail rows are computed apart): the full product's tiles
    for every row computed."""
    rounded = (active + tile - 1) // tile * tile
    return rounded if rounded <= batch - batch % tile else batch


def active_rows_reference(lengths, step):
    """The plain-NumPy reference of `active_rows` from N: one past the last row with
    lengths[n] > step (0 where none)."""
    running = np.flatnonzero(np.asarray(lengths) > step)
    return int(running[-1]) + 1 if running.size else 0


def whole_tiles_reference(active, batch, tile):
    """The plain-Python reference of `whole_tiles`."""
    for rounded in range(active, batch + 1):
        if rounded % tile == 0:
            return rounded if rounded <= batch - batch % tile else batch
    return batch
