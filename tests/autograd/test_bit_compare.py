"""`kernels.bit_compare.same_bits` against its NumPy reference: bits, not values."""

import numpy as np
import pytest

from seqlab.autograd.kernels.bit_compare import same_bits, same_bits_reference

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
