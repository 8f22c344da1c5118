"""A no-grad call with `lengths` runs its rows longest first (`length_order`) and puts the
results back in the caller's order: the bits of the call in the caller's order, for every
cell kind, direction and input (x or an embedding's table)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn import Embedding
from seqlab.autograd.threads import one_thread
from seqlab.seqmodels import recurrent_inference
from seqlab.seqmodels.length_order import in_length_order, length_order
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN


def test_length_order_is_longest_first_and_stable():
    lengths = np.array([3, 7, 3, 1, 7, 5])
    order = length_order(lengths)
    assert order.tolist() == [1, 4, 5, 0, 2, 3]  # equal lengths keep their order
    assert length_order(np.array([7, 7, 5, 3, 3, 1])) is None  # already longest first
    assert length_order(np.array([4])) is None


def test_in_length_order_runs_the_ordered_rows_and_puts_them_back():
    rng = np.random.default_rng(0)
    lengths = np.array([2, 5, 1, 5])
    x = rng.standard_normal((5, 4, 3))
    h0 = rng.standard_normal((2, 4, 6))
    seen = {}

    def run(x_rows, h_rows, c_rows, lengths_rows, table):
        seen["lengths"] = lengths_rows.tolist()
        # a result of each row's own values: row n's out is its x summed, its h_n its h0
        return (np.repeat(x_rows.sum(axis=2, keepdims=True), 6, axis=2), 2 * h_rows, None)

    out, h_n, c_n = in_length_order(length_order(lengths), run, x, h0, None, lengths, None)
    assert seen["lengths"] == [5, 5, 2, 1]
    np.testing.assert_array_equal(out, np.repeat(x.sum(axis=2, keepdims=True), 6, axis=2))
    np.testing.assert_array_equal(h_n, 2 * h0)
    assert c_n is None


def _outputs(result) -> list:
    out, state = result
    return [out.data] + [s.data for s in (state if isinstance(state, tuple) else [state])]


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("source", ["x", "table"])
@pytest.mark.parametrize("hidden,batch", [(16, 13), (48, 37)])
def test_longest_first_gives_the_bits_of_the_callers_order(monkeypatch, stack_class,
                                                           bidirectional, source, hidden,
                                                           batch):
    rng = np.random.default_rng(hidden)
    stack = stack_class(8, hidden, num_layers=2, generator=0, bidirectional=bidirectional)
    embedding = Embedding(29, 8, generator=1)
    ids = rng.integers(0, 29, (9, batch))
    x = Tensor(rng.standard_normal((9, batch, 8)).astype(np.float32))
    lengths = rng.integers(1, 10, batch)
    lengths[3] = 9

    def run():
        with no_grad(), one_thread():
            return _outputs(stack(embedding(ids) if source == "table" else x,
                                  lengths=lengths))

    ordered = run()
    graph = _outputs(stack(embedding(ids) if source == "table" else x, lengths=lengths))
    monkeypatch.setattr(recurrent_inference, "length_order", lambda lengths: None)
    as_given = run()
    for got, want, graph_array in zip(ordered, as_given, graph):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(got, graph_array, rtol=2e-6, atol=2e-6)
