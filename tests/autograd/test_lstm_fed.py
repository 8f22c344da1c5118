"""kernels.recurrent_lstm_fed through seqmodels.recurrent_fed: the LSTM training forward that
projects its input step by step gives the float64 reference's outputs and gradients, and the
same bits as the projection and the loop apart (one thread and split by sequence)."""

import numba
import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import FMA
from seqlab.seqmodels import recurrent_fed, recurrent_loops, recurrent_ops

pytestmark = pytest.mark.kernels
JITTED = FMA and not numba.config.DISABLE_JIT


def _case(hidden, batch, steps, features, dtype, seed=0):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    width = 4 * hidden
    return (draw(steps, batch, features), draw(batch, hidden), draw(batch, hidden),
            draw(width, features, scale=1 / np.sqrt(features)),
            draw(width, hidden, scale=1 / np.sqrt(hidden)), draw(width), draw(width))


def _lengths(kind, steps, batch):
    if kind == "full":
        return None
    lengths = np.random.default_rng(batch).integers(1, steps + 1, batch)
    lengths[0] = steps
    return lengths


def _assert_same_forward(fed, old):
    """The fed forward's outputs and saved activations are the old path's, bit for bit."""
    for new_array, old_array in zip(fed[:3], old[:3], strict=True):
        np.testing.assert_array_equal(new_array, old_array)
    for new_array, old_array in zip(fed[3].loop.activations, old[3].loop.activations,
                                    strict=True):
        assert (new_array is None) == (old_array is None)
        if new_array is not None:
            np.testing.assert_array_equal(new_array, old_array)


def _old_path(monkeypatch):
    monkeypatch.setattr(recurrent_ops, "_fed_forward", lambda *_: None)


@pytest.mark.skipif(not JITTED, reason="the projection takes the panels only jitted, with FMA")
@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("lengths_kind,reverse", [("full", False), ("full", True),
                                                  ("lengths", False)])
def test_fed_forward_equals_the_reference_and_backward_runs_after_it(parts, lengths_kind,
                                                                     reverse, monkeypatch):
    steps, batch, hidden, features = 9, 8 * parts + 21, 16, 64  # T*N >= the panels' MIN_ROWS
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(hidden, batch, steps, features, np.float64)
    lengths = _lengths(lengths_kind, steps, batch)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: parts)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)
    checked = recurrent_ops.check_lengths(lengths, steps, batch)
    assert recurrent_fed.fed_loop_parts(x, w_ih, w_hh, checked, reverse) == parts
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                            lengths, reverse=reverse)
    full = np.full(batch, steps) if lengths is None else lengths
    expected_out, expected_h, expected_c, expected_backward = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, full, reverse)
    for actual, expected in ((out, expected_out), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)
    rng = np.random.default_rng(parts)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.skipif(not JITTED, reason="the projection takes the panels only jitted, with FMA")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("lengths_kind,reverse", [("full", False), ("full", True),
                                                  ("lengths", False)])
def test_fed_forward_gives_the_bits_of_the_projection_and_loop_apart(dtype, parts,
                                                                      lengths_kind, reverse,
                                                                      monkeypatch):
    steps, batch, hidden, features = 8, 37, 32, 96  # 37 rows: row tiles at the blocks' edges
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(hidden, batch, steps, features, dtype, seed=3)
    lengths = _lengths(lengths_kind, steps, batch)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: parts)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)
    checked = recurrent_ops.check_lengths(lengths, steps, batch)
    assert recurrent_fed.fed_loop_parts(x, w_ih, w_hh, checked, reverse) == parts
    for bias in ((b_ih, b_hh), (None, None)):
        fed = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, *bias, lengths, reverse)
        with monkeypatch.context() as apart:
            _old_path(apart)
            old = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, *bias, lengths,
                                                   reverse)
        _assert_same_forward(fed, old)


@pytest.mark.skipif(not JITTED, reason="the projection takes the panels only jitted, with FMA")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("features", [1, 3, 16, 40])
def test_narrow_features_are_fed_where_their_projection_takes_the_panels(dtype, features,
                                                                         monkeypatch):
    """Raw features under `around_products.MIN_DEPTH` (a forecaster's F 16, raw features
    F 40): fed wherever the whole projection takes the panels, with the same bits as the
    projection and the loop apart, outputs, saved activations and every gradient."""
    steps, batch, hidden = 16, 37, 64  # 592 rows x 256 columns: over MIN_SHALLOW_OUTPUT
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(hidden, batch, steps, features, dtype, seed=5)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 1)
    full = np.full(batch, steps)
    assert recurrent_fed.fed_loop_parts(x, w_ih, w_hh, full, False) == 1
    fed = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    with monkeypatch.context() as apart:
        _old_path(apart)
        old = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    _assert_same_forward(fed, old)
    rng = np.random.default_rng(features)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape).astype(dtype) for a in fed[:3])
    for new_grad, old_grad in zip(recurrent_ops.lstm_layer_backward(fed[3], d_out, d_hn, d_cn),
                                  recurrent_ops.lstm_layer_backward(old[3], d_out, d_hn, d_cn),
                                  strict=True):
        np.testing.assert_array_equal(new_grad, old_grad)


def test_fed_forward_is_not_taken_where_it_would_not_pay_or_not_hold():
    steps, batch, hidden = 16, 32, 16
    x, _, _, w_ih, w_hh, *_ = _case(hidden, batch, steps, 64, np.float32)
    full = np.full(batch, steps)
    short = full.copy()
    short[3] = 2
    if JITTED:
        assert recurrent_fed.fed_loop_parts(x, w_ih, w_hh, full, False) >= 1
        assert recurrent_fed.fed_loop_parts(x, w_ih, w_hh, short, False) >= 1
    assert recurrent_fed.fed_loop_parts(x, w_ih, w_hh, short, True) == 0  # times differ a step
    narrow, _, _, narrow_w_ih, *_ = _case(hidden, batch, steps, 40, np.float32)
    assert recurrent_fed.fed_loop_parts(narrow, narrow_w_ih, w_hh, full, False) == 0
    few_rows = x[:4]  # 128 rows: the projection stays with BLAS
    assert recurrent_fed.fed_loop_parts(few_rows, w_ih, w_hh, full, False) == 0
    big = 512  # W_ih's and W_hh's panels, 8 MiB, over MAX_FED_WEIGHT_BYTES
    wide, _, _, wide_w_ih, wide_w_hh, *_ = _case(big, batch, steps, big, np.float32)
    assert recurrent_fed.fed_loop_parts(wide, wide_w_ih, wide_w_hh, full, False) == 0


@pytest.mark.parametrize("reverse", [False, True])
def test_fed_kernel_alone_equals_the_reference(reverse):
    """The kernel called directly on one part (also under NUMBA_DISABLE_JIT, where the
    production path does not take it)."""
    steps, batch, hidden, features = 5, 6, 8, 12
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(hidden, batch, steps, features, np.float64)
    lengths = np.full(batch, steps)
    if not reverse:
        lengths[2] = 3
    out, h_n, c_n, _ = recurrent_fed.lstm_fed_forward(x, h0, c0, w_ih, b_ih + b_hh, w_hh,
                                                      lengths, reverse, 1)
    expected_out, expected_h, expected_c, _ = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    for actual, expected in ((out, expected_out), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)


def test_fed_kernel_refuses_reverse_with_short_sequences():
    steps, batch, hidden, features = 4, 3, 8, 8
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(hidden, batch, steps, features, np.float64)
    lengths = np.array([4, 2, 4])
    with pytest.raises(ValueError, match="full length"):
        recurrent_fed.lstm_fed_forward(x, h0, c0, w_ih, b_ih + b_hh, w_hh, lengths, True, 1)
