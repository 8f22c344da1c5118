"""around_products: the training path's projection and dx through packed panels.

The panels take products of at least MIN_ROWS rows and MIN_DEPTH depth; the layer tests
elsewhere run smaller shapes (BLAS), so here the thresholds are lowered and the products, and
a whole LSTM layer's forward and backward, are checked in float64 against NumPy and the NumPy
reference layer, on one thread and on two (rows split, dx beside dW).
"""

import numpy as np
import pytest

from seqlab.autograd import threads
from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import FMA, panel_columns
from seqlab.seqmodels import around_products, recurrent_ops

needs_panels = pytest.mark.skipif(not FMA, reason="the panels need FMA on Numba's target")


@pytest.fixture
def small_panels(monkeypatch):
    monkeypatch.setattr(around_products, "MIN_ROWS", 8)
    monkeypatch.setattr(around_products, "MIN_DEPTH", 1)


@pytest.fixture(params=[1, 2])
def thread_count(request):
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def test_panels_pay_only_where_they_win():
    width = panel_columns(1, np.float32)
    rows, depth = around_products.MIN_ROWS, around_products.MIN_DEPTH
    assert around_products.products_take_panels(rows, depth, 2 * width, np.float32) == FMA
    assert not around_products.products_take_panels(rows - 1, depth, 2 * width, np.float32)
    assert not around_products.products_take_panels(rows, depth - 1, 2 * width, np.float32)
    assert not around_products.products_take_panels(rows, depth, 2 * width + 1, np.float32)
    assert not around_products.products_take_panels(rows, depth, 2 * width, np.int64)


def test_narrow_inputs_take_the_panels_with_enough_output():
    """Depth under MIN_DEPTH (raw features) takes the panels only with MIN_SHALLOW_OUTPUT
    elements of output or more."""
    rows = around_products.MIN_ROWS
    columns = around_products.MIN_SHALLOW_OUTPUT // rows
    assert panel_columns(columns, np.float32) == columns
    for depth in (1, 3, around_products.MIN_DEPTH - 1):
        assert around_products.products_take_panels(rows, depth, columns, np.float32) == FMA
        assert not around_products.products_take_panels(rows, depth, columns // 2, np.float32)
    assert not around_products.products_take_panels(rows, 0, columns, np.float32)


@needs_panels
@pytest.mark.parametrize("features", [1, 3, 40])
def test_narrow_projection_equals_numpy(thread_count, features):
    """x @ W^T + b at the real thresholds for raw features: the depth (F) far under the
    tile's width, the last rows below a whole tile."""
    rows = around_products.MIN_ROWS + 3
    columns = panel_columns(around_products.MIN_SHALLOW_OUTPUT // around_products.MIN_ROWS,
                            np.float64)
    rng = np.random.default_rng(features)
    x = rng.standard_normal((rows, features))
    w, bias = rng.standard_normal((columns, features)), rng.standard_normal(columns)
    assert around_products.products_take_panels(rows, features, columns, np.float64)
    np.testing.assert_allclose(around_products.project(x, w, bias), x @ w.T + bias, rtol=1e-12,
                               atol=1e-12)


@needs_panels
@pytest.mark.parametrize("with_bias", [False, True])
def test_projection_equals_numpy(small_panels, thread_count, with_bias):
    width = panel_columns(1, np.float64)
    rng = np.random.default_rng(thread_count)
    x = rng.standard_normal((45, 7))
    w = rng.standard_normal((3 * width, 7))
    bias = rng.standard_normal(3 * width) if with_bias else None
    assert around_products.products_take_panels(*x.shape, w.shape[0], x.dtype)
    expected = x @ w.T + (bias if with_bias else 0)
    np.testing.assert_allclose(around_products.project(x, w, bias), expected, rtol=1e-12,
                               atol=1e-12)


@needs_panels
@pytest.mark.parametrize("need_input_grad", [True, False])
def test_input_and_weight_grads_equal_numpy(small_panels, thread_count, need_input_grad):
    width = panel_columns(1, np.float64)
    rng = np.random.default_rng(3)
    d = rng.standard_normal((30, 4 * width))
    w = rng.standard_normal((4 * width, width))
    x = rng.standard_normal((30, width))
    dx, dw = around_products.input_and_weight_grads(d, w, x, need_input_grad)
    np.testing.assert_allclose(dw, d.T @ x, rtol=1e-12, atol=1e-11)
    if need_input_grad:
        np.testing.assert_allclose(dx, d @ w, rtol=1e-12, atol=1e-11)
    else:
        assert dx is None


def test_blas_where_the_panels_do_not_pay(thread_count):
    """Odd column counts (no whole tiles) go to BLAS, with the same results."""
    rng = np.random.default_rng(9)
    x, w, bias = rng.standard_normal((300, 70)), rng.standard_normal((67, 70)), np.ones(67)
    np.testing.assert_allclose(around_products.project(x, w, bias), x @ w.T + 1, rtol=1e-12)
    d = rng.standard_normal((300, 67))
    dx, dw = around_products.input_and_weight_grads(d, w, x, True)
    np.testing.assert_allclose(dx, d @ w, rtol=1e-12)
    np.testing.assert_allclose(dw, d.T @ x, rtol=1e-12)


@needs_panels
def test_lstm_layer_with_panel_projections_equals_the_reference(small_panels, thread_count):
    """A whole layer, the projection and dx through the panels: outputs and every gradient."""
    steps, batch, features = 4, 6, panel_columns(1, np.float64)  # dx: whole tiles too
    hidden = panel_columns(1, np.float64) // 4 * 2  # 4H a multiple of the tile's width
    rng = np.random.default_rng(21)

    def draw(*shape, scale=0.5):
        return scale * rng.standard_normal(shape)

    x, h0, c0 = draw(steps, batch, features), draw(batch, hidden), draw(batch, hidden)
    w_ih, w_hh = draw(4 * hidden, features), draw(4 * hidden, hidden, scale=hidden ** -0.5)
    b_ih, b_hh = draw(4 * hidden), draw(4 * hidden)
    assert around_products.products_take_panels(steps * batch, features, 4 * hidden, np.float64)
    assert around_products.products_take_panels(steps * batch, 4 * hidden, features, np.float64)
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    expected_out, expected_h, expected_c, expected_backward = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, np.full(batch, steps), False)
    for actual, expected in ((out, expected_out), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


def test_narrow_weight_grads_take_the_tiles_only_where_they_win():
    """F = 4-63 from the shallow products' output; F = 2-3 (1-row tiles) from
    MIN_ROW_TILES_OUTPUT; F = 1 (a GEMV) and F >= MIN_DEPTH never."""
    rows = around_products.MIN_ROWS
    columns = around_products.MIN_SHALLOW_OUTPUT // rows
    wide = around_products.MIN_ROW_TILES_OUTPUT // rows
    takes = around_products.narrow_grad_takes_tiles
    for features in (4, 40, around_products.MIN_DEPTH - 1):
        assert takes(rows, features, columns, np.float32) == FMA
        assert not takes(rows, features, columns // 2, np.float32)
    assert not takes(rows, 3, columns, np.float32)
    assert takes(rows, 3, wide, np.float32) == takes(rows, 2, wide, np.float32) == FMA
    assert not takes(rows, 1, wide, np.float32)
    assert not takes(rows, around_products.MIN_DEPTH, wide, np.float32)
    assert not takes(rows, 40, columns + 1, np.float32)


@needs_panels
@pytest.mark.parametrize("features", [3, 5, 40])
@pytest.mark.parametrize("need_input_grad", [True, False])
def test_narrow_weight_grads_equal_numpy(thread_count, features, need_input_grad):
    """d^T @ x for a narrow x at the real thresholds, rows not a multiple of the row block."""
    rows = around_products.NARROW_BLOCK + 7
    columns = panel_columns(around_products.MIN_ROW_TILES_OUTPUT // rows, np.float64)
    rng = np.random.default_rng(features)
    d, x = rng.standard_normal((rows, columns)), rng.standard_normal((rows, features))
    w = rng.standard_normal((columns, features))
    assert around_products.narrow_grad_takes_tiles(rows, features, columns, np.float64)
    dx, dw = around_products.input_and_weight_grads(d, w, x, need_input_grad)
    np.testing.assert_allclose(dw, d.T @ x, rtol=1e-12, atol=1e-11)
    assert dw.flags.c_contiguous
    if need_input_grad:
        np.testing.assert_allclose(dx, d @ w, rtol=1e-12, atol=1e-11)
    else:
        assert dx is None


@needs_panels
def test_lstm_layer_over_narrow_features_equals_the_reference(thread_count):
    """A whole layer over 5 raw features at the real thresholds: the projection through the
    panels, dW_ih through the narrow tiles; outputs and every gradient against the reference."""
    steps, batch, features, hidden = 8, 33, 5, 128
    rng = np.random.default_rng(17)

    def draw(*shape, scale=0.5):
        return scale * rng.standard_normal(shape)

    x, h0, c0 = draw(steps, batch, features), draw(batch, hidden), draw(batch, hidden)
    w_ih, w_hh = draw(4 * hidden, features), draw(4 * hidden, hidden, scale=hidden ** -0.5)
    b_ih, b_hh = draw(4 * hidden), draw(4 * hidden)
    rows = steps * batch
    assert around_products.products_take_panels(rows, features, 4 * hidden, np.float64)
    assert around_products.narrow_grad_takes_tiles(rows, features, 4 * hidden, np.float64)
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    expected_out, expected_h, expected_c, expected_backward = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, np.full(batch, steps), False)
    for actual, expected in ((out, expected_out), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("split_from", [1, None])
@pytest.mark.parametrize("transposed", [True, False])
def test_packing_splits_only_large_weights_and_packs_the_same(split_from, transposed,
                                                             monkeypatch):
    """A weight packs on seqlab's threads only from MIN_SPLIT_PACK elements (a split's
    hand-over costs more than packing a smaller one); split or not, the panels are
    `pack_panels`'."""
    from seqlab.autograd.kernels.panel_gemm import pack_panels

    if split_from is not None:
        monkeypatch.setattr(around_products, "MIN_SPLIT_PACK", split_from)
    handed_over = []
    run_at_once = threads._run_at_once
    monkeypatch.setattr(threads, "_run_at_once",
                        lambda tasks: handed_over.append(len(tasks)) or run_at_once(tasks))
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        weight = np.random.default_rng(3).standard_normal((512, 40)).astype(np.float32)
        weight = weight if transposed else weight.T.copy()  # b (40, 512): 8 or 4 panels
        panels = around_products._packed(weight, transposed)
    finally:
        threads.set_num_threads(before)
    np.testing.assert_array_equal(panels, pack_panels(weight.T if transposed else weight))
    split = split_from is not None and threads.usable_cores() > 1
    assert handed_over == ([2] if split else [])  # 20k elements: one thread by default
