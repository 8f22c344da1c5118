"""The stacked inference Elman RNN loop ([x_t | h | 1] @ packed [W_ih | W_hh | b]^T per step,
then tanh or relu) equals its NumPy reference and the layer reference of the other kernels
(tiny sizes: CI also runs these with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import panels_shape
from seqlab.autograd.kernels.recurrent_lstm_stacked import pack_stacked_into
from seqlab.autograd.kernels.recurrent_rnn_stacked import (
    rnn_stacked_forward,
    rnn_stacked_reference,
    rnn_stacked_reverse,
)

pytestmark = pytest.mark.kernels


def _case(dtype, steps=6, batch=5, features=3, hidden=5, seed=0):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    return (draw(steps, batch, features, scale=1.0), draw(batch, hidden),
            draw(hidden, features), draw(hidden, hidden), draw(hidden), draw(hidden))


def _panels(x, w_ih, w_hh, bias):
    hidden = w_hh.shape[1]
    panels = np.full(panels_shape(x.shape[2] + hidden + 1, hidden, x.dtype), np.nan, x.dtype)
    pack_stacked_into(w_ih, w_hh, bias, panels)
    return panels


def _run(x, h0, w_ih, w_hh, bias, relu, reverse=False):
    panels = _panels(x, w_ih, w_hh, bias)
    h = h0.copy()
    out = np.full((x.shape[0], x.shape[1], w_hh.shape[1]), np.nan, x.dtype)
    (rnn_stacked_reverse if reverse else rnn_stacked_forward)(x, panels, h, out, relu)
    return out, h


@pytest.mark.parametrize("hidden", [5, 20, 70])  # one panel with padding; several panels
def test_packing_holds_the_one_gate_stacked_matrix(hidden):
    x, _, w_ih, w_hh, b_ih, b_hh = _case(np.float32, hidden=hidden)
    panels = _panels(x, w_ih, w_hh, b_ih + b_hh)
    count, depth, width = panels.shape
    unpacked = panels.transpose(1, 0, 2).reshape(depth, count * width)
    want = np.concatenate([w_ih, w_hh, (b_ih + b_hh)[:, None]], axis=1).T
    np.testing.assert_array_equal(unpacked[:, :hidden], want)
    np.testing.assert_array_equal(unpacked[:, hidden:], 0)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("hidden", [5, 20])
@pytest.mark.parametrize("batch", [1, 4, 7])  # 1-row tiles only; 4-row tiles; both
def test_float64_equals_the_references(relu, reverse, hidden, batch):
    x, h0, w_ih, w_hh, b_ih, b_hh = _case(np.float64, batch=batch, hidden=hidden)
    got = _run(x, h0, w_ih, w_hh, b_ih + b_hh, relu, reverse)
    want = rnn_stacked_reference(x, h0, w_ih, w_hh, b_ih + b_hh, relu, reverse)
    lengths = np.full(batch, x.shape[0])
    layer = reference.rnn_reference(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
                                    "relu" if relu else "tanh")[:2]
    for got_array, want_array, layer_array in zip(got, want, layer):
        np.testing.assert_allclose(got_array, want_array, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_array, layer_array, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("relu", [False, True])
def test_float32_equals_the_float64_reference_to_round_off(relu):
    case = _case(np.float32, steps=8, batch=6, features=16, hidden=20)
    got = _run(*case[:4], case[4] + case[5], relu)
    wide = [a.astype(np.float64) for a in case]
    want = rnn_stacked_reference(*wide[:4], wide[4] + wide[5], relu)
    for got_array, want_array in zip(got, want):
        assert got_array.dtype == np.float32
        np.testing.assert_allclose(got_array, want_array, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("relu", [False, True])
def test_reverse_runs_the_forward_loop_over_the_steps_reversed(relu):
    """`rnn_stacked_reverse` is the forward loop over x[::-1], out read back reversed, bit for
    bit."""
    x, h0, w_ih, w_hh, b_ih, b_hh = _case(np.float32, batch=7, hidden=20)
    out, h = _run(x, h0, w_ih, w_hh, b_ih + b_hh, relu, reverse=True)
    flipped = _run(np.ascontiguousarray(x[::-1]), h0, w_ih, w_hh, b_ih + b_hh, relu)
    np.testing.assert_array_equal(out, flipped[0][::-1])
    np.testing.assert_array_equal(h, flipped[1])
