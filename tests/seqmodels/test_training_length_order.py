"""A graph call with `lengths` runs its rows longest first (`training_length_order`) and puts
the outputs and gradients back in the caller's order: for every cell kind, direction and
input (x or an embedding's table), against the same call in the caller's order."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.nn import Embedding
from seqlab.autograd.threads import one_thread
from seqlab.seqmodels import training_length_order
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN


def _call(stack, embedding, source, ids, x_data, lengths, h0_data):
    """Outputs and gradients of one graph call under a fixed weighting of its outputs."""
    stack.zero_grad()
    embedding.zero_grad()
    x = Tensor(x_data.copy(), requires_grad=True)
    states = [Tensor(h0_data.copy(), requires_grad=True)]
    if isinstance(stack, LSTM):
        states.append(Tensor(np.cos(h0_data), requires_grad=True))
    hx = tuple(states) if isinstance(stack, LSTM) else states[0]
    out, state = stack(embedding(ids) if source == "table" else x, hx, lengths=lengths)
    finals = list(state) if isinstance(state, tuple) else [state]
    loss = None
    for k, value in enumerate([out, *finals]):
        weighting = np.sin(np.arange(value.data.size) * 0.37 + k).reshape(value.shape)
        term = (value * Tensor(weighting.astype(value.dtype))).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    rows = [out.data, *(value.data for value in finals), *(state.grad for state in states)]
    sums = [parameter.grad for _, parameter in stack.named_parameters()]
    if source == "table":  # the table's gradient sums every (step, sequence) that read a row
        sums.append(embedding.weight.grad)
    else:
        rows.append(x.grad)
    return rows, sums


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("source", ["x", "table"])
@pytest.mark.parametrize("hidden,batch", [(16, 13), (64, 21)])
def test_longest_first_gives_the_callers_order(monkeypatch, stack_class, bidirectional,
                                               source, hidden, batch):
    rng = np.random.default_rng(hidden + batch)
    stack = stack_class(8, hidden, num_layers=2, generator=0, bidirectional=bidirectional,
                        dtype=np.float64)
    embedding = Embedding(29, 8, generator=1, dtype=np.float64)
    ids = rng.integers(0, 29, (9, batch))
    x_data = rng.standard_normal((9, batch, 8))
    h0_data = rng.standard_normal((2 * (2 if bidirectional else 1), batch, hidden))
    lengths = rng.integers(1, 10, batch)
    lengths[[3, 5]] = 9  # ties at T
    lengths[7] = 1
    seen = []
    run_layers = type(stack)._run_layers

    def spy(self, layer_input, h0, c0, lengths, *rest):
        seen.append(np.asarray(lengths).tolist())
        return run_layers(self, layer_input, h0, c0, lengths, *rest)

    monkeypatch.setattr(type(stack), "_run_layers", spy)
    with one_thread():  # (no loop splits the batch by sequence: the order is taken)
        ordered = _call(stack, embedding, source, ids, x_data, lengths, h0_data)
        assert seen[-1] == sorted(lengths.tolist(), reverse=True)  # it ran longest first
        monkeypatch.setattr(training_length_order, "length_order", lambda lengths: None)
        as_given = _call(stack, embedding, source, ids, x_data, lengths, h0_data)
    assert seen[-1] == lengths.tolist()
    (rows, sums), (want_rows, want_sums) = ordered, as_given
    # each row's own sums: the same bits (round-off under NUMBA_DISABLE_JIT, where the
    # panels' plain-NumPy bodies multiply the running rows by NumPy's BLAS)
    for got, want in zip(rows, want_rows):
        if numba.config.DISABLE_JIT:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
        else:
            np.testing.assert_array_equal(got, want)
    # sums over every (step, sequence), in another order of the sequences: round-off
    for got, want in zip(sums, want_sums):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def _stack_and_input(dropout=0.0):
    rng = np.random.default_rng(5)
    stack = GRU(4, 16, num_layers=2, dropout=dropout, generator=0, dtype=np.float64)
    x = Tensor(rng.standard_normal((6, 9, 4)), requires_grad=True)
    return stack, x, np.array([2, 6, 1, 6, 3, 5, 4, 2, 6])


@pytest.mark.parametrize("why", ["dropout between layers", "loops split by sequence"])
def test_the_callers_order_where_ordering_does_not_pay(monkeypatch, why):
    """Dropout between layers in training draws its masks over the caller's rows; a loop
    split by sequence would give one part all the long sequences: no ordering there."""
    stack, x, lengths = _stack_and_input(0.5 if why == "dropout between layers" else 0.0)
    if why == "loops split by sequence":
        monkeypatch.setattr(training_length_order, "loops_split_rows", lambda *shape: True)
    assert not training_length_order.ordering_pays(stack, 6, 9, None)
    seen = []
    run_layers = GRU._run_layers
    monkeypatch.setattr(GRU, "_run_layers", lambda self, layer_input, h0, c0, lengths, *rest:
                        seen.append(lengths.tolist()) or run_layers(self, layer_input, h0, c0,
                                                                     lengths, *rest))
    stack(x, lengths=lengths)[0].sum().backward()
    assert seen == [lengths.tolist()]
    stack.eval()  # no dropout: ordered (one thread: no loop splits)
    with one_thread():
        stack(x, lengths=lengths)[0].sum().backward()
    assert seen[-1] == (lengths.tolist() if why == "loops split by sequence"
                        else sorted(lengths.tolist(), reverse=True))
