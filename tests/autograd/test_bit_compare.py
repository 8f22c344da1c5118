"""`kernels.bit_compare.same_bits` and `rows_hold` against their NumPy references: bits, not
values."""

import numpy as np
import pytest

from seqlab.autograd.kernels.bit_compare import (
    rows_hold,
    rows_hold_reference,
    same_bits,
    same_bits_reference,
)

pytestmark = pytest.mark.kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_same_bits_equals_the_reference(dtype):
    rng = np.random.default_rng(0)
    a = (100 * rng.standard_normal((5, 7))).astype(dtype)
    cases = [(a, a.copy()), (a, a[::-1].copy()), (a[1:3], a[1:3].copy()),
             (a, a.reshape(7, 5).copy()), (a, a[:4].copy())]
    changed = a.copy()
    changed[4, 6] += 1
    cases.append((a, changed))
    for x, y in cases:
        assert same_bits(x, y) == same_bits_reference(x, y)
    assert same_bits(a, a.copy()) and not same_bits(a, changed)


def test_bits_not_values():
    zeros = np.zeros(8, np.float32)
    assert not same_bits(zeros, -zeros) and not same_bits_reference(zeros, -zeros)
    nans = np.full(8, np.nan, np.float32)
    assert same_bits(nans, nans.copy()) and same_bits_reference(nans, nans.copy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_hold_equals_the_reference(dtype):
    """Rows read in place at the ids: equal rows, one changed bit, a NaN, -0.0, repeated ids."""
    rng = np.random.default_rng(1)
    table = rng.standard_normal((9, 6)).astype(dtype)
    table[3, 2] = np.nan
    ids = rng.integers(0, 9, 40)
    ids[:4] = 3
    rows = table[ids]
    assert rows_hold(table, ids, rows) and rows_hold_reference(table, ids, rows)
    for i, j, value in ((0, 2, 0.5), (39, 5, 0.0), (7, 0, np.nan)):
        changed = rows.copy()
        changed[i, j] = -changed[i, j] if value == 0.0 and changed[i, j] == 0 else value
        if changed[i, j].tobytes() == rows[i, j].tobytes():
            changed[i, j] = np.nextafter(changed[i, j], dtype(np.inf))
        assert not rows_hold(table, ids, changed)
        assert not rows_hold_reference(table, ids, changed)
    zero = np.zeros((2, 6), dtype)
    assert not rows_hold(zero, np.array([0]), -zero[:1])
    assert not rows_hold(table, ids[:5], rows)  # a count that differs
