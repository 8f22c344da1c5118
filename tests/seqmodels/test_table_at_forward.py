"""seqmodels.table_projection.table_at_forward: the table as it was at the lookup, read by
bits: the same array while the looked-up rows still hold the table's bits, else a copy with
those rows put back (a -0.0 written over a looked-up 0.0 included, which a value comparison
takes for equal)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.seqmodels.table_projection import table_at_forward


def _lookup(dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    table = rng.standard_normal((12, 5)).astype(dtype)
    table[3] = 0.0
    ids = rng.integers(0, 12, (4, 6))
    ids[0, 0] = 3
    return table, ids, table[ids]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_unchanged_table_is_returned_itself(dtype):
    table, ids, rows = _lookup(dtype)
    assert table_at_forward(table, ids, rows) is table


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("written", [7.5, -0.0])
def test_a_table_written_after_the_lookup_is_rebuilt_bit_for_bit(dtype, written):
    table, ids, rows = _lookup(dtype)
    before = table.copy()
    table[3, 2] = written  # row 3 (looked up at ids[0, 0]) held 0.0 there
    rebuilt = table_at_forward(table, ids, rows)
    assert rebuilt is not table
    assert rebuilt.tobytes() == before.tobytes()
    assert table[3, 2] == written and np.signbit(table[3, 2]) == np.signbit(written)


def test_a_non_contiguous_table_is_compared_by_the_reference():
    table, ids, rows = _lookup(np.float64)
    wide = np.zeros((12, 10))
    wide[:, ::2] = table
    view = wide[:, ::2]
    assert table_at_forward(view, ids, rows) is view
    view[3, 2] = -0.0
    assert table_at_forward(view, ids, rows).tobytes() == table.tobytes()
