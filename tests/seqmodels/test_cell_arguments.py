"""LSTMCell / GRUCell / RNNCell inputs a PyTorch user may get wrong: each is one clear error,
as PyTorch checks them (hx's type, the input's dims and features, hx's batch and hidden size),
never a NumPy broadcast that returns something of the right shape."""

from __future__ import annotations

import re

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.seqmodels import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

CELLS = [LSTMCell, GRUCell, RNNCell]


def randn(*shape) -> Tensor:
    return Tensor(np.random.default_rng(len(shape)).standard_normal(shape))


def cell_of(factory):
    return factory(3, 4, dtype=np.float64)


def state_for(factory, h: Tensor):
    return (h, h) if factory is LSTMCell else h


def test_lstm_cell_refuses_one_tensor_as_hx():
    """`h, c = hx` unpacked a (2, 4) tensor into its two rows, broadcast over the batch."""
    with pytest.raises(TypeError, match=r"LSTMCell.*hx.*tuple \(h, c\).*Tensor"):
        cell_of(LSTMCell)(randn(2, 3), randn(2, 4))


@pytest.mark.parametrize("factory", [GRUCell, RNNCell])
def test_gru_and_rnn_cells_refuse_a_tuple_as_hx(factory):
    with pytest.raises(TypeError, match=f"{factory.__name__}.*one tensor"):
        cell_of(factory)(randn(2, 3), (randn(2, 4), randn(2, 4)))


@pytest.mark.parametrize("missing", [0, 1])
def test_lstm_cell_refuses_a_none_state_in_the_pair(missing):
    pair = [randn(2, 4), randn(2, 4)]
    pair[missing] = None
    with pytest.raises(ValueError, match=f"{'hc'[missing]} is None"):
        cell_of(LSTMCell)(randn(2, 3), tuple(pair))


@pytest.mark.parametrize("factory", CELLS)
@pytest.mark.parametrize("shape", [(2, 1, 3), (3, 2, 2, 3), ()])
def test_cells_take_only_one_or_two_dimensional_input(factory, shape):
    x = Tensor(np.zeros(shape)) if shape else Tensor(np.float64(1.0))
    with pytest.raises(ValueError, match=rf"Expected input to be 1D or 2D, got {len(shape)}D"):
        cell_of(factory)(x)


@pytest.mark.parametrize("factory", CELLS)
def test_cells_name_a_wrong_feature_count(factory):
    with pytest.raises(ValueError, match="inconsistent input_size: got 5 expected 3"):
        cell_of(factory)(randn(2, 5))


@pytest.mark.parametrize("factory", CELLS)
@pytest.mark.parametrize("h_shape", [(1, 4), (3, 4), (4,), (2, 5), (1, 2, 4)])
def test_cells_refuse_a_state_that_does_not_fit_the_batch(factory, h_shape):
    """A (1, H) state was broadcast over a batch of 2 (torch: "Input batch size 2 doesn't
    match hidden0 batch size 1"); (H,) too for the LSTM and RNN cells."""
    hx = state_for(factory, randn(*h_shape))
    got = re.escape(str(h_shape))
    with pytest.raises(ValueError, match=rf"must have shape \(2, 4\).*got {got}"):
        cell_of(factory)(randn(2, 3), hx)


@pytest.mark.parametrize("factory", CELLS)
def test_unbatched_input_needs_a_one_dimensional_state(factory):
    hx = state_for(factory, randn(1, 4))
    with pytest.raises(ValueError, match=r"must have shape \(4,\)"):
        cell_of(factory)(randn(3), hx)


@pytest.mark.parametrize("errors", [ValueError, RuntimeError])
def test_shape_errors_are_caught_as_pytorch_raises_them(errors):
    with pytest.raises(errors):
        cell_of(GRUCell)(randn(2, 3), randn(1, 4))


@pytest.mark.parametrize(("factory", "stack"), [(LSTMCell, LSTM), (GRUCell, GRU), (RNNCell, RNN)])
def test_good_states_batched_and_unbatched_give_the_stack_one_step(factory, stack):
    layer = stack(3, 4, dtype=np.float64)
    cell = cell_of(factory)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name).data[...] = getattr(layer, name + "_l0").data
    x, h = randn(2, 3), randn(2, 4)
    out, _ = layer(x.unsqueeze(0), state_for(factory, h.unsqueeze(0)))
    batched = cell(x, state_for(factory, h))
    batched = batched[0] if factory is LSTMCell else batched
    np.testing.assert_allclose(batched.data, out.data[0], rtol=1e-13, atol=1e-14)
    single = cell(x[1], state_for(factory, h[1]))
    single = single[0] if factory is LSTMCell else single
    np.testing.assert_allclose(single.data, out.data[0, 1], rtol=1e-13, atol=1e-14)
    assert single.shape == (4,)
