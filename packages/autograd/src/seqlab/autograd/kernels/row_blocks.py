"""A time-loop team split by sequence: which sequences each part runs, and W_hh packed by all.

Sequences of a batch are independent, so a team of `parts` threads can run a recurrent layer's
training loops with part p taking sequences `row_block(N, p, parts)` through every hidden unit,
all steps on its own (no barrier inside the time loop; `recurrent_lstm_rows`,
`recurrent_gru_rows`, `recurrent_rnn_rows`). Each part packs its share of W_hh's panels, then
the parts meet once (`pack_share`). A part's per-step product is then (N / parts) rows deep
against all of W_hh; below `MIN_ROWS_PER_PART` rows it runs too few full row tiles to pay.
"""

import numpy as np
from numba import njit

from .panel_gemm import ROWS, pack_rows_into, pack_transposed_into, panels_pay
from .spin_barrier import arrive_and_wait

MIN_ROWS_PER_PART = 2 * ROWS  # below it a part's product runs too few full row tiles


def rows_split_pays(batch: int, parts: int) -> bool:
    """Whether a team of `parts` splits a batch of `batch` sequences rather than hidden units."""
    return parts > 1 and panels_pay(batch) and batch >= MIN_ROWS_PER_PART * parts


@njit(cache=True, nogil=True)
def row_block(batch, part, parts):
    """[start, stop) of the sequences part `part` of `parts` runs: contiguous, near-equal,
    multiples of the tile's ROWS but for the last."""
    chunks = (batch + ROWS - 1) // ROWS
    start = min(batch, chunks * part // parts * ROWS)
    stop = min(batch, chunks * (part + 1) // parts * ROWS)
    return start, stop


@njit(cache=True, nogil=True)
def pack_share(w_hh, panels, part, parts, flags, transposed):
    """This part's share of the panels of W_hh^T (`transposed`) or of W_hh (w_hh (G*H, H)),
    then wait until every part has packed its share (the barrier's first count)."""
    count, _, width = panels.shape
    first, last = count * part // parts, count * (part + 1) // parts
    if first < last:
        if transposed:
            stop = min(last * width, w_hh.shape[0])
            pack_transposed_into(w_hh[first * width:stop], panels[first:last])
        else:
            stop = min(last * width, w_hh.shape[1])
            pack_rows_into(w_hh[:, first * width:stop], panels[first:last])
    arrive_and_wait(flags, part, parts, 1)


@njit(cache=True, nogil=True)
def start_forward_part(w_hh, w_panels, h0, low, high, part, parts, flags):
    """A forward part's start: its share of W_hh^T's panels packed (then the parts meet), its
    sequences' own h (a copy of h0[low:high]) and room for a step's product h @ W_hh^T:
    (h, hg), both of w_panels' dtype."""
    pack_share(w_hh, w_panels, part, parts, flags, True)
    rows = high - low
    h = np.empty((rows, h0.shape[1]), w_panels.dtype)
    h[:] = h0[low:high]
    hg = np.empty((rows, w_panels.shape[0] * w_panels.shape[2]), w_panels.dtype)
    return h, hg
