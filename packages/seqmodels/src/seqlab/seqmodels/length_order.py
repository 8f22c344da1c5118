"""A no-grad call with per-sequence lengths runs its rows longest first.

The time loops multiply, at each step, only the leading rows whose sequences still run
(`kernels.active_rows`); with the rows ordered by length, longest first, those are exactly the
running ones, as PyTorch's packed batch shrinks as its sequences end. The order is made once a
call (`length_order`: stable, so equal lengths keep their order) and applied to the input (or
an embedding's ids), the state and the lengths; the outputs and final states are put back in
the caller's order (`in_length_order`). Every row's sums are the same whichever rows run beside
it (`active_rows`), so the bits are those of the call in the caller's order. A graph call
(training) orders its rows the same way through graph nodes (`training_length_order`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def length_order(lengths: np.ndarray) -> np.ndarray | None:
    """The rows' order by length, longest first (stable), or None where `lengths` is already
    in that order (non-increasing: nothing to reorder)."""
    lengths = np.asarray(lengths)
    if lengths.size < 2 or bool((lengths[:-1] >= lengths[1:]).all()):
        return None
    return np.argsort(-lengths.astype(np.int64), kind="stable")


def _rows(array: np.ndarray | None, order: np.ndarray) -> np.ndarray | None:
    """array's sequences (axis 1) in `order`, or None."""
    return None if array is None else np.ascontiguousarray(np.take(array, order, axis=1))


def _back(array: np.ndarray | None, order: np.ndarray) -> np.ndarray | None:
    """array's sequences (axis 1, in `order`) put back in the caller's order."""
    if array is None:
        return None
    restored = np.empty_like(array)
    restored[:, order] = array
    return restored


def in_length_order(order: np.ndarray, run: Callable, layer_input: np.ndarray | None,
                    h0: np.ndarray, c0: np.ndarray | None, lengths: np.ndarray,
                    table) -> tuple:
    """run(layer_input, h0, c0, lengths, table) -> (out, h_n, c_n) over the rows in `order`
    (x (T, N, F) or the table's ids (T, N), h0 and c0 (L*D, N, H), lengths (N,)), its
    outputs (T, N, D*H) and final states put back in the caller's order."""
    if table is not None:
        weight, ids, padding_idx = table
        table = (weight, _rows(np.asarray(ids), order), padding_idx)
    out, h_n, c_n = run(_rows(layer_input, order), _rows(h0, order), _rows(c0, order),
                        np.ascontiguousarray(np.asarray(lengths)[order]), table)
    return _back(out, order), _back(h_n, order), _back(c_n, order)
