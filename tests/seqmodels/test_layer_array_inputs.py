"""Layers take NumPy arrays and nested lists as they take Tensors (one rule, `as_layer_input`):
an array keeps its dtype (a float64 array into a float32 layer is refused as a float64 Tensor
is), a list takes the layer's dtype. Recurrent layers once took an array only time-major."""

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd.nn import Linear
from seqlab.seqmodels import GRU, LSTM, RNN, GRUCell, LSTMCell

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)  # (N, T, F) batch-first


def _outputs(result):
    out, state = result
    states = state if isinstance(state, tuple) else (state,)
    return [np.asarray(out.data), *[np.asarray(s.data) for s in states]]


@pytest.mark.parametrize("layer_type", [LSTM, GRU, RNN])
@pytest.mark.parametrize("grad", [True, False])
def test_batch_first_array_and_list_equal_the_tensor(layer_type, grad):
    layer = layer_type(5, 6, batch_first=True, generator=1)
    with ag.set_grad_enabled(grad):
        expected = _outputs(layer(ag.tensor(X)))
        for given in (X, X.tolist()):
            for got, want in zip(_outputs(layer(given)), expected, strict=True):
                np.testing.assert_array_equal(got, want)
        with_lengths = _outputs(layer(X, lengths=np.array([4, 2, 3])))
        wanted = _outputs(layer(ag.tensor(X), lengths=np.array([4, 2, 3])))
        for got, want in zip(with_lengths, wanted, strict=True):
            np.testing.assert_array_equal(got, want)


def test_unbatched_array_with_array_states_equals_the_tensor():
    layer = LSTM(5, 6, generator=2)
    x, h0 = X[0], RNG.standard_normal((1, 6)).astype(np.float32)
    expected = _outputs(layer(ag.tensor(x), (ag.tensor(h0), ag.tensor(h0))))
    for got, want in zip(_outputs(layer(x, (h0, h0))), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_float64_array_into_a_float32_layer_is_refused_as_a_tensor_is():
    layer = LSTM(5, 6, batch_first=True)
    with pytest.raises(ValueError, match="does not match its float32"):
        layer(X.astype(np.float64))


def test_linear_and_cells_take_lists():
    linear = Linear(5, 2, dtype=np.float64, generator=3)
    np.testing.assert_array_equal(linear(X[0].tolist()).data,
                                  linear(ag.tensor(X[0], dtype=np.float64)).data)
    assert linear(X[0].tolist()).dtype == np.float64
    for cell in (LSTMCell(5, 6, generator=4), GRUCell(5, 6, generator=4)):
        got, want = cell(X[0].tolist()), cell(ag.tensor(X[0]))
        got, want = (got[0], want[0]) if isinstance(got, tuple) else (got, want)
        np.testing.assert_array_equal(got.data, want.data)
