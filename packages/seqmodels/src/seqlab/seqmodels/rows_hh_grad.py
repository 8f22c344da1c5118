"""dW_hh of an LSTM training loop split by sequence, formed inside the loop's own team.

An LSTM layer whose backward loop splits by sequence (`recurrent_lstm_rows`) and that is not
`rows_layer`'s fused layer (layer 0 of an Embedding-fed stack, which read its input projection
from the embedding's table) formed dW_hh after its team: the main thread laid out the shifted
h_prev rows (T*N x H, 2 MiB at H 256, batch 32 x 64) alone, then handed the threads over again
for the product (`around_products.recurrent_weight_grad`, split by `threads.matmul`). Here
each part, once its loop is done, lays out its share of those rows, meets its partners once
(`side_barrier`: the loop's own counts stay apart), then forms its block of dW_hh's rows: the
same BLAS products on the same row blocks as `threads.matmul` splits them, so the same bits.

Taken only where the old path splits the product the same way: `MIN_SPLIT_WEIGHT_GRAD_MACS`
and as many row blocks as the team has parts (decided in the calling thread from shapes and
the thread count: inside a team `threads_for` answers 1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqlab.autograd import workspace
from seqlab.autograd.kernels.spin_barrier import arrive_and_wait, side_barrier
from seqlab.autograd.threads import MIN_PARALLEL_MACS, MIN_ROWS_PER_BLOCK, threads_for
from seqlab.seqmodels.around_products import MIN_SPLIT_WEIGHT_GRAD_MACS

Array = np.ndarray
AfterLoop = Callable[[int, int, Array, Array, Array], None]


def _share(count: int, part: int, parts: int) -> tuple[int, int]:
    """[low, high) of part `part` of `parts` near-equal shares of `count` (`threads.matmul`'s
    bounds)."""
    return count * part // parts, count * (part + 1) // parts


def hh_grad_parts(steps: int, batch: int, hidden: int, gate_width: int) -> int:
    """How many row blocks `recurrent_weight_grad` splits dW_hh (gate_width, hidden) over
    steps * batch rows into (1: one product on one thread)."""
    rows = steps * batch
    macs = gate_width * rows * hidden
    if macs < MIN_SPLIT_WEIGHT_GRAD_MACS or macs < MIN_PARALLEL_MACS:
        return 1
    return threads_for(gate_width // MIN_ROWS_PER_BLOCK)  # (rows >= columns: split by rows)


def shifted_share(rows: Array, out_flat: Array, h0: Array, batch: int, reverse: bool, low: int,
                  high: int) -> None:
    """Rows [low, high) of h_prev laid out from the outputs shifted a step (T*N x H): row r
    is out row r - batch (r + batch when `reverse`), and h0 at the first step read."""
    total = rows.shape[0]
    later = total - batch
    if reverse:  # row r reads out row r + batch; the last step's rows h0
        first, last = max(0, low), min(later, high)
        if first < last:
            rows[first:last] = out_flat[first + batch:last + batch]
        first, last = max(later, low), min(total, high)
        if first < last:
            rows[first:last] = h0[first - later:last - later]
    else:
        first, last = max(0, low), min(batch, high)
        if first < last:
            rows[first:last] = h0[first:last]
        first, last = max(batch, low), min(total, high)
        if first < last:
            rows[first:last] = out_flat[first - batch:last - batch]


def hh_grad_in_team(activations: tuple, reverse: bool,
                    parts: int) -> tuple[AfterLoop, Array] | None:
    """(after_loop, dW_hh) for `recurrent_loops._lstm_rows_backward`: after_loop(part, parts,
    flags, d_xg, d_xg) fills dW_hh's rows of part `part` once every part has called it; None
    where the old path would not split the product into `parts` row blocks (it then runs as
    before). `activations` are the forward's (gates, c_prev, tanh_c, h_prev, out, h0): h_prev
    None when the outputs shifted a step give it (`reverse`: a step later, not earlier)."""
    gates, h_prev, out, h0 = activations[0], activations[3], activations[4], activations[5]
    steps, batch, gate_width = gates.shape
    hidden = out.shape[2]
    if parts < 2 or hh_grad_parts(steps, batch, hidden, gate_width) != parts:
        return None
    rows = steps * batch
    dtype = gates.dtype
    dw_hh = workspace.empty((gate_width, hidden), dtype)
    shifted = h_prev is None
    if shifted:
        previous = workspace.empty((rows, hidden), dtype)
        out_flat = out.reshape(rows, hidden)
    else:
        previous = h_prev.reshape(rows, hidden)

    def after_loop(part: int, parts: int, flags: Array, d_xg: Array, _d_hh: Array) -> None:
        met = side_barrier(flags)  # (a part that raises releases it with the loop's flags)
        if shifted:
            shifted_share(previous, out_flat, h0, batch, reverse, *_share(rows, part, parts))
        arrive_and_wait(met, part, parts, 1)  # every part's rows of d_xg and previous are in
        low, high = _share(gate_width, part, parts)
        np.matmul(d_xg.reshape(rows, gate_width).T[low:high], previous, out=dw_hh[low:high])

    return after_loop, dw_hh
