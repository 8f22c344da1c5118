"""An index array (or list) written by the caller after the forward pass does not move the
gradient: the ops keep the index as it was at forward, as PyTorch copies it into its graph."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as sa

X = np.arange(12.0).reshape(3, 4)


def _getitem_array(t, index):
    return t[index]


def _getitem_in_tuple(t, index):
    return t[index, 1:3]


def _gather(t, index):
    return t.gather(0, index)


def _index_put(t, index):
    y = t * 1.0
    y[index] = 0.0
    return y


OPS = {"getitem": _getitem_array, "tuple": _getitem_in_tuple, "gather": _gather,
       "index_put": _index_put}


def _gradient(op, index_of, rewrite):
    t = sa.tensor(X.copy(), requires_grad=True)
    index = index_of()
    y = OPS[op](t, index)
    if rewrite:
        index[0] = 2  # the caller refills its buffer after the forward pass
    (y * y).sum().backward()
    return t.grad.data if hasattr(t.grad, "data") else t.grad


@pytest.mark.parametrize("kind", ["array", "list"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_a_rewritten_index_leaves_the_gradient_where_forward_read(op, kind):
    if kind == "list" and op == "gather":
        pytest.skip("gather takes an array index")

    def index_of():
        if op == "gather":
            return np.zeros((2, 4), dtype=np.int64)
        return np.array([0, 0]) if kind == "array" else [0, 0]

    np.testing.assert_array_equal(_gradient(op, index_of, True), _gradient(op, index_of, False))
