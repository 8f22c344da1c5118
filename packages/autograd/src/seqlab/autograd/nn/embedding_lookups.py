"""What each live `F.embedding` output was looked up from, so that a layer reading it (a
recurrent layer 0) may read rows of a per-symbol table instead, for as long as the output
still holds exactly those rows.

"Still holds" is checked, not assumed (PyTorch has no such shortcut: its layers always read
the values they are given). An output written in place (a Tensor method, item assignment:
the version counter, `versions`), reassigned (`out.data = ...`), written through its `.data`
array (which no counter sees), or whose table was written after the lookup, is no longer the
table's rows at its ids: the layer must read the values themselves. So, after the counter,
the rows are compared bit for bit with the table's rows at the ids: one pass over tokens x
dim reading the table's rows in place (no gathered copy), small beside the (tokens x dim) x
(dim x gates) projection the table saves.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numba import config as numba_config

from seqlab.autograd import versions
from seqlab.autograd.kernels import bit_compare


class Lookup(NamedTuple):
    """One lookup: its output (weakly), the array it wrote, the write clock then, and what
    it read (the weight Tensor, a copy of the indices, padding_idx or None)."""

    output: weakref.ref
    array: np.ndarray
    looked_up_at: int
    weight: Any
    indices: np.ndarray
    padding_idx: int | None


# id(output) -> Lookup; an entry leaves when its output is freed (the weak reference guards
# against a reused id)
_lookups: dict[int, Lookup] = {}


def remember(output: Any, weight: Any, indices: np.ndarray, padding_idx: int | None) -> None:
    """Note that `output` (a Tensor) holds `weight`'s rows at `indices`."""
    # a copy of the indices: a caller may refill its batch buffer before the layer reads it
    _lookups[id(output)] = Lookup(weakref.ref(output), output.data, versions.clock.now, weight,
                                  indices.copy(), padding_idx)
    weakref.finalize(output, _lookups.pop, id(output), None)


def source_of(output: Any, wanted: Callable[[Any, np.ndarray], bool] | None = None,
              ) -> tuple[Any, np.ndarray, int | None] | None:
    """(weight, indices, padding_idx) while `output` holds, bit for bit, `weight`'s rows at
    `indices` as `embedding` wrote them; None for any other tensor, once either changed, or
    while `output` retains its gradient (a reader skipping `output` would leave `.grad`
    None). `wanted(weight, indices)`, a caller's cheap test, runs before the bit comparison:
    False gives None without it."""
    lookup = _lookups.get(id(output))
    if lookup is None or lookup.output() is not output or output.retains_grad:
        return None
    array = lookup.array
    if output.data is not array or versions.written_since(array, lookup.looked_up_at):
        return None
    if wanted is not None and not wanted(lookup.weight, lookup.indices):
        return None
    table = lookup.weight.data
    if table.dtype != array.dtype or not _rows_hold(table, lookup.indices, array):
        return None
    return lookup.weight, lookup.indices, lookup.padding_idx


def _rows_hold(table: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> bool:
    """Whether `rows` (ids.shape + (dim,)) hold the same bits as `table`'s rows at `ids` (a
    NaN equals itself), read in place: no gathered copy."""
    if table.ndim != 2 or rows.shape != ids.shape + table.shape[1:]:
        return False
    if (numba_config.DISABLE_JIT or table.dtype.itemsize not in (4, 8)
            or not (table.flags.c_contiguous and rows.flags.c_contiguous)):
        return bit_compare.rows_hold_reference(table, ids, rows)
    return bool(bit_compare.rows_hold(table, ids.reshape(-1),
                                      rows.reshape(ids.size, table.shape[1])))
