"""seqmodels.table_projection: layer 0's table node (Embedding -> fused LSTM/GRU/RNN in
training) keeps what its backward reads while the graph is retained: backward(retain_graph=
True) then backward gives twice one backward's gradients, as the composed path does."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd.nn import Embedding
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN


def _gradients(stack_class, fused: bool, backwards: int) -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    stack = stack_class(5, 16, generator=0, dtype=np.float64)
    stack.fused = fused
    embedding = Embedding(20, 5, padding_idx=0, generator=3, dtype=np.float64)
    lengths = np.array([4, 9, 1, 6, 9, 3])
    ids = rng.integers(1, 20, (9, 6))
    ids[np.arange(9)[:, None] >= lengths[None]] = 0
    out, _ = stack(embedding(ids), lengths=lengths)
    loss = (out * np.sin(np.arange(out.data.size)).reshape(out.shape)).sum()
    for _ in range(backwards - 1):
        loss.backward(retain_graph=True)
    loss.backward()
    return [embedding.weight.grad, *(parameter.grad for parameter in stack.parameters())]


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
def test_a_retained_graph_backpropagates_twice(stack_class):
    once = _gradients(stack_class, True, 1)
    twice = _gradients(stack_class, True, 2)
    composed = _gradients(stack_class, False, 2)
    for single, double, reference in zip(once, twice, composed):
        np.testing.assert_allclose(double, 2 * single, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(double, reference, rtol=1e-9, atol=1e-12)
