"""An index array kept for backward (advanced indexing, gather, index assignment, embedding)
places the gradient: written in place between the forward and the backward, it makes the
backward raise, as PyTorch does, instead of sending the gradient to other positions."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import nn

MESSAGE = "modified by an in-place operation"


def _getitem(a, index):
    return a[index]


def _getitem_in_tuple(a, index):
    return a[index, 0:1]


def _gather(a, index):
    return a.gather(0, index.reshape(2, 1))


def _index_put(a, index):
    out = a * 1.0
    out[index] = ag.tensor(np.ones((2, 2)), requires_grad=True)
    return out


OPS = {"getitem": _getitem, "getitem_tuple": _getitem_in_tuple, "gather": _gather,
       "index_put": _index_put}


@pytest.mark.parametrize("op", sorted(OPS))
def test_writing_an_index_before_backward_raises(op):
    a = ag.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    index = ag.tensor(np.array([0, 1]))
    out = OPS[op](a, index)
    index.fill_(3)
    with pytest.raises(RuntimeError, match=MESSAGE):
        out.sum().backward()


def test_writing_a_boolean_mask_before_backward_raises():
    a = ag.tensor(np.arange(3.0), requires_grad=True)
    mask = ag.tensor(np.array([True, False, True]))
    out = a[mask]
    mask.fill_(False)
    with pytest.raises(RuntimeError, match=MESSAGE):
        out.sum().backward()


def test_writing_embedding_indices_before_backward_raises():
    embedding = nn.Embedding(5, 2, dtype=np.float64)
    ids = ag.tensor(np.array([0, 1]))
    out = embedding(ids)
    ids.fill_(3)
    with pytest.raises(RuntimeError, match=MESSAGE):
        out.sum().backward()


PICKED = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])  # a[0, 0] and a[2, 0]
UNWRITTEN_GRADS = {"getitem": np.array([[1, 1], [0, 0], [1, 1], [0, 0]]),
                   "getitem_tuple": PICKED, "gather": PICKED,
                   "index_put": np.array([[0, 0], [1, 1], [0, 0], [1, 1]])}


@pytest.mark.parametrize("op", sorted(OPS))
def test_an_unwritten_index_gives_the_usual_gradient(op):
    a = ag.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    OPS[op](a, ag.tensor(np.array([0, 2]))).sum().backward()
    np.testing.assert_array_equal(a.grad, UNWRITTEN_GRADS[op])
