"""`topk` over integer tensors orders by the integers' own values (stop 23's note: uint64
values at or above 2^63 were negated through int64 and wrapped, so 2^63 read as the smallest;
int64's minimum negates to itself). Against NumPy's stable sort: ties in index order."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import tensor


def numpy_topk(values: np.ndarray, k: int, largest: bool) -> np.ndarray:
    """Indices of the k largest (smallest) along the last axis, ties in index order."""
    ranks = np.argsort(values, axis=-1, kind="stable")  # ascending, ties in index order
    if largest:  # descending with ties still in index order: sort the reversed row, map back
        reversed_ranks = np.argsort(values[..., ::-1], axis=-1, kind="stable")[..., ::-1]
        ranks = values.shape[-1] - 1 - reversed_ranks
    return ranks[..., :k]


BIG = 2**63
CASES = {
    "uint64 around 2^63": np.array([[BIG, 5, BIG + 7, 2**64 - 1, 0, BIG - 1, BIG]],
                                   dtype=np.uint64),
    "int64 extremes": np.array([[np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max, -1,
                                 np.iinfo(np.int64).min]], dtype=np.int64),
    "uint8": np.array([[255, 0, 128, 127, 255, 1]], dtype=np.uint8),
    "int8": np.array([[-128, 127, 0, -1, -128, 5]], dtype=np.int8),
    "bool": np.array([[False, True, False, True, True]]),
}


@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("largest", [True, False])
def test_integer_topk_orders_as_numpy_does(values, largest):
    k = values.shape[-1] - 1
    picked = tensor(values).topk(k, largest=largest)
    expected = numpy_topk(values, k, largest)
    assert picked.indices.tolist() == expected.tolist()
    assert picked.values.data.dtype == values.dtype
    np.testing.assert_array_equal(picked.values.data, np.take_along_axis(values, expected, -1))
