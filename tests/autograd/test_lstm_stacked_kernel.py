"""The stacked inference LSTM loop ([x_t | h | 1] @ packed [W_ih | W_hh | b]^T per step) equals
its NumPy reference and the layer reference of the other kernels (tiny sizes: CI also runs
these with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import panels_shape
from seqlab.autograd.kernels.recurrent_lstm_stacked import (
    lstm_stacked_forward,
    lstm_stacked_reference,
    lstm_stacked_reverse,
    pack_stacked_into,
)

pytestmark = pytest.mark.kernels


def _case(dtype, steps=6, batch=5, features=3, hidden=5, seed=0):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    return (draw(steps, batch, features, scale=1.0), draw(batch, hidden), draw(batch, hidden),
            draw(4 * hidden, features), draw(4 * hidden, hidden), draw(4 * hidden),
            draw(4 * hidden))


def _run(x, h0, c0, w_ih, w_hh, bias):
    hidden = w_hh.shape[1]
    panels = np.full(panels_shape(x.shape[2] + hidden + 1, 4 * hidden, x.dtype), np.nan,
                     x.dtype)
    pack_stacked_into(w_ih, w_hh, bias, panels)
    h, c = h0.copy(), c0.copy()
    out = np.empty((x.shape[0], x.shape[1], hidden), x.dtype)
    lstm_stacked_forward(x, panels, h, c, out)
    return out, h, c, panels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", [5, 20])  # one panel with zero columns; several panels
def test_packing_holds_the_stacked_matrix(dtype, hidden):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(dtype, hidden=hidden)
    *_, panels = _run(x, h0, c0, w_ih, w_hh, b_ih + b_hh)
    count, depth, width = panels.shape
    unpacked = panels.transpose(1, 0, 2).reshape(depth, count * width)
    want = np.concatenate([w_ih, w_hh, (b_ih + b_hh)[:, None]], axis=1).T
    np.testing.assert_array_equal(unpacked[:, :4 * hidden], want)
    np.testing.assert_array_equal(unpacked[:, 4 * hidden:], 0)  # padding columns are zeros


@pytest.mark.parametrize("hidden", [5, 20])
@pytest.mark.parametrize("batch", [1, 4, 7])  # 1-row tiles only; 4-row tiles; both
def test_float64_equals_the_references(hidden, batch):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(np.float64, batch=batch, hidden=hidden)
    got = _run(x, h0, c0, w_ih, w_hh, b_ih + b_hh)[:3]
    want = lstm_stacked_reference(x, h0, c0, w_ih, w_hh, b_ih + b_hh)
    lengths = np.full(batch, x.shape[0])
    layer = reference.lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, False)[:3]
    for got_array, want_array, layer_array in zip(got, want, layer):
        np.testing.assert_allclose(got_array, want_array, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_array, layer_array, rtol=1e-12, atol=1e-12)


def test_float32_equals_the_float64_reference_to_round_off():
    case = _case(np.float32, steps=8, batch=6, features=16, hidden=20)
    got = _run(*case[:5], case[5] + case[6])[:3]
    wide = [a.astype(np.float64) for a in case]
    want = lstm_stacked_reference(*wide[:5], wide[5] + wide[6])
    for got_array, want_array in zip(got, want):
        assert got_array.dtype == np.float32
        np.testing.assert_allclose(got_array, want_array, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("batch", [1, 7])
def test_reverse_runs_the_forward_loop_over_the_steps_reversed(batch):
    """`lstm_stacked_reverse` (a bidirectional layer's reverse direction) is the forward loop
    over x[::-1] with out read back reversed, bit for bit, and the layer reference's reverse
    direction in float64."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(np.float64, batch=batch, hidden=5)
    *_, panels = _run(x, h0, c0, w_ih, w_hh, b_ih + b_hh)
    h, c = h0.copy(), c0.copy()
    out = np.empty((x.shape[0], batch, 5))
    lstm_stacked_reverse(x, panels, h, c, out)
    flipped = _run(np.ascontiguousarray(x[::-1]), h0, c0, w_ih, w_hh, b_ih + b_hh)[:3]
    np.testing.assert_array_equal(out, flipped[0][::-1])
    np.testing.assert_array_equal(h, flipped[1])
    np.testing.assert_array_equal(c, flipped[2])
    lengths = np.full(batch, x.shape[0])
    layer = reference.lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, True)[:3]
    for got_array, layer_array in zip((out, h, c), layer):
        np.testing.assert_allclose(got_array, layer_array, rtol=1e-12, atol=1e-12)
