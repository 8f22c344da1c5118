"""around_products.weight_grad: dW_ih and dW_hh through the transposed tiles.

Thresholds lowered so that small float64 shapes take the tiles (the layer tests elsewhere run
BLAS at their sizes); checked against the definition on one thread and on two (panels and
quad rows split), x given whole and as row blocks (dW_hh's h0 and shifted outputs, forward and
reverse), and the BLAS fallback where x's features are not a multiple of the tile's rows.
"""

import numpy as np
import pytest

from seqlab.autograd import threads
from seqlab.autograd.kernels.panel_gemm import FMA, ROWS, panel_columns
from seqlab.seqmodels import around_products

needs_panels = pytest.mark.skipif(not FMA, reason="the tiles need FMA on Numba's target")


@pytest.fixture
def small_tiles(monkeypatch):
    monkeypatch.setattr(around_products, "MIN_ROWS", 8)
    monkeypatch.setattr(around_products, "MIN_DEPTH", 1)
    monkeypatch.setattr(around_products, "MIN_GRAD_FEATURES", 1)


@pytest.fixture(params=[1, 2])
def thread_count(request):
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def test_tiles_take_wide_enough_features_only():
    width = panel_columns(1, np.float32)
    rows, features = around_products.MIN_ROWS, around_products.MIN_GRAD_FEATURES
    assert around_products.grads_take_panels(rows, 2 * width, features, np.float32) == FMA
    assert not around_products.grads_take_panels(rows, 2 * width, features - ROWS, np.float32)
    assert not around_products.grads_take_panels(rows, 2 * width, features + 1, np.float32)
    assert not around_products.grads_take_panels(rows, 2 * width + 1, features, np.float32)


@needs_panels
@pytest.mark.parametrize("features", [3 * ROWS, 3 * ROWS + 1])
def test_weight_grad_equals_numpy(small_tiles, thread_count, features):
    gates = 4 * panel_columns(1, np.float64)
    rng = np.random.default_rng(features)
    d = rng.standard_normal((300, gates))
    x = rng.standard_normal((300, features))
    got = around_products.weight_grad(d, x)
    np.testing.assert_allclose(got, d.T @ x, rtol=1e-12, atol=1e-12)


@needs_panels
@pytest.mark.parametrize("reverse", [False, True])
def test_shifted_dw_hh_equals_the_sum_over_steps(small_tiles, thread_count, reverse):
    steps, batch, hidden = 9, 12, 4 * ROWS
    gates = 4 * hidden  # a multiple of the float64 panel width
    rng = np.random.default_rng(11)
    d = rng.standard_normal((steps, batch, gates))
    out = rng.standard_normal((steps, batch, hidden))
    h0 = rng.standard_normal((batch, hidden))
    expected = np.zeros((gates, hidden))
    for t in range(steps):  # what the loop read at time t
        if reverse:
            h_prev = h0 if t == steps - 1 else out[t + 1]
        else:
            h_prev = h0 if t == 0 else out[t - 1]
        expected += d[t].T @ h_prev
    assert around_products.grads_take_panels(steps * batch, gates, hidden, np.float64) == FMA
    got = around_products.recurrent_weight_grad(d, out, h0, True, reverse)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
