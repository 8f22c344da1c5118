"""The inference LSTM loop over caller-packed W_hh^T panels equals its NumPy reference and the
layer reference of the other kernels (tiny sizes: CI also runs these with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import pack_transposed_into, panels_shape
from seqlab.autograd.kernels.recurrent_lstm_packed import (
    lstm_packed_forward,
    lstm_packed_reference,
)

pytestmark = pytest.mark.kernels


def _case(dtype, steps=6, batch=5, hidden=5, table_rows=9, seed=0):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    row_of = rng.integers(0, table_rows, (steps, batch)).astype(np.int64)
    return draw(table_rows, 4 * hidden, scale=1.0), row_of, draw(4 * hidden, hidden), draw(
        batch, hidden), draw(batch, hidden)


def _run(x_rows, row_of, w_hh, h0, c0):
    hidden = w_hh.shape[1]
    panels = np.full(panels_shape(hidden, 4 * hidden, x_rows.dtype), np.nan, x_rows.dtype)
    pack_transposed_into(w_hh, panels)
    h, c = h0.copy(), c0.copy()
    out = np.full((*row_of.shape, hidden), np.nan, x_rows.dtype)
    lstm_packed_forward(x_rows, row_of, panels, h, c, out)
    return out, h, c


@pytest.mark.parametrize("hidden", [5, 20])  # one panel with zero columns; several panels
@pytest.mark.parametrize("batch", [1, 4, 7])  # 1-row tiles only; 4-row tiles; both
def test_float64_equals_the_references(hidden, batch):
    x_rows, row_of, w_hh, h0, c0 = _case(np.float64, batch=batch, hidden=hidden)
    got = _run(x_rows, row_of, w_hh, h0, c0)
    want = lstm_packed_reference(x_rows, row_of, w_hh, h0, c0)
    # the layer reference over the gathered rows as its input: W_ih = I, no biases
    x = x_rows[row_of]
    eye = np.eye(4 * hidden)
    lengths = np.full(batch, row_of.shape[0])
    layer = reference.lstm_reference(x, h0, c0, eye, w_hh, None, None, lengths, False)[:3]
    for got_array, want_array, layer_array in zip(got, want, layer):
        np.testing.assert_allclose(got_array, want_array, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_array, layer_array, rtol=1e-12, atol=1e-12)


def test_float32_equals_the_float64_reference_to_round_off():
    case = _case(np.float32, steps=8, batch=6, hidden=20)
    got = _run(*case)
    want = lstm_packed_reference(*(a.astype(np.float64) if a.dtype == np.float32 else a
                                   for a in case))
    for got_array, want_array in zip(got, want):
        assert got_array.dtype == np.float32
        np.testing.assert_allclose(got_array, want_array, rtol=2e-5, atol=2e-6)


def test_panels_of_another_width_are_refused():
    x_rows, row_of, _, h0, c0 = _case(np.float64)
    panels = np.zeros(panels_shape(6, 20, np.float64))  # packed for H = 6, not 5
    with pytest.raises(ValueError, match="lstm_packed_forward"):
        lstm_packed_forward(x_rows, row_of, panels, h0.copy(), c0.copy(),
                            np.empty((*row_of.shape, 5)))
