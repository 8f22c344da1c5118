"""seqmodels.table_projection: layer 0's table node (Embedding -> fused LSTM/GRU/RNN in
training) keeps what its backward reads while the graph is retained: backward(retain_graph=
True) then backward gives twice one backward's gradients, as the composed path does (and as
PyTorch, and the `F.linear` table before stop 23, give). One test for what revfix1's and
revfix2's each found (stop 23): with and without `lengths`, every cell kind, and the fused run
checked to go through the table node (a missed condition would take the plain path silently)."""

from __future__ import annotations

import numpy as np
import pytest
from graph_nodes import graph_functions

from seqlab.autograd.nn import Embedding
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN
from seqlab.seqmodels.table_projection import TableProjection

VOCAB, STEPS, BATCH = 20, 9, 6  # 54 tokens over 20 symbols: layer 0 reads the table


def _gradients(stack_class, fused: bool, backwards: int,
               with_lengths: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    stack = stack_class(5, 16, generator=0, dtype=np.float64)
    stack.fused = fused
    embedding = Embedding(VOCAB, 5, padding_idx=0, generator=3, dtype=np.float64)
    lengths = np.array([4, 9, 1, 6, 9, 3]) if with_lengths else None
    ids = rng.integers(1, VOCAB, (STEPS, BATCH))
    if with_lengths:
        ids[np.arange(STEPS)[:, None] >= lengths[None]] = 0
    out, _ = stack(embedding(ids), lengths=lengths)
    assert (TableProjection in graph_functions(out)) == fused
    loss = (out * np.sin(np.arange(out.data.size)).reshape(out.shape)).sum()
    for _ in range(backwards - 1):
        loss.backward(retain_graph=True)
    loss.backward()
    return [embedding.weight.grad, *(parameter.grad for parameter in stack.parameters())]


@pytest.mark.parametrize("with_lengths", [True, False], ids=["lengths", "no-lengths"])
@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
def test_a_retained_graph_backpropagates_twice(stack_class, with_lengths):
    once = _gradients(stack_class, True, 1, with_lengths)
    twice = _gradients(stack_class, True, 2, with_lengths)
    composed = _gradients(stack_class, False, 2, with_lengths)
    for single, double, reference in zip(once, twice, composed, strict=True):
        np.testing.assert_allclose(double, 2 * single, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(double, reference, rtol=1e-9, atol=1e-12)
