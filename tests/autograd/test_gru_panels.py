"""The one-thread GRU loops over W_hh packed into panels (`recurrent_gru`, `rnn_panels_pay`).

Shapes that take the panels (batch >= 4, H >= 64) with 3H and H not multiples of the panel
width (the padded columns of the per-step products are never read) and a batch that is not a
multiple of the tile's rows, per-sequence lengths, reverse, float64 and float32: the layer
(through `recurrent_ops`, as training and inference run it) against the NumPy reference, and
the panel loops against the same loops on BLAS (`gru_forward` / `gru_backward`).
Since `loop_panels_pay` keeps BLAS where over 1/16 of a product's panel columns would be
padding, the layer at H 70 runs on BLAS; layers that take the panels are checked in
`test_loop_panels_rule.py`, and the padded panel loops here against BLAS directly.
"""

import numpy as np
import pytest

from seqlab.autograd.kernels.panel_gemm import FMA, panels_shape
from seqlab.autograd.kernels.recurrent_gru import (
    gru_backward,
    gru_backward_into,
    gru_forward,
    gru_forward_into,
)
from seqlab.autograd.kernels.recurrent_reference import gru_reference
from seqlab.autograd.kernels.recurrent_rnn import rnn_panels_pay
from seqlab.seqmodels import recurrent_ops as ops

pytestmark = pytest.mark.kernels
HIDDEN, BATCH, STEPS, FEATURES = 70, 6, 5, 3
TOLERANCE = {np.float64: 1e-12, np.float32: 2e-5}


def _case(dtype, seed=0):
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(HIDDEN)
    return {
        "x": rng.standard_normal((STEPS, BATCH, FEATURES)).astype(dtype),
        "h0": rng.standard_normal((BATCH, HIDDEN)).astype(dtype),
        "w_ih": (rng.uniform(-scale, scale, (3 * HIDDEN, FEATURES))).astype(dtype),
        "w_hh": (rng.uniform(-scale, scale, (3 * HIDDEN, HIDDEN))).astype(dtype),
        "b_ih": rng.uniform(-scale, scale, 3 * HIDDEN).astype(dtype),
        "b_hh": rng.uniform(-scale, scale, 3 * HIDDEN).astype(dtype),
        "lengths": np.array([5, 1, 3, 5, 2, 4], np.int64),
        "d_out": rng.standard_normal((STEPS, BATCH, HIDDEN)).astype(dtype),
        "d_hn": rng.standard_normal((BATCH, HIDDEN)).astype(dtype),
    }


def _weights(case):
    return [case[name] for name in ("w_ih", "w_hh", "b_ih", "b_hh")]


def test_these_shapes_take_the_panels():
    assert rnn_panels_pay(BATCH, HIDDEN) == FMA  # no FMA: BLAS everywhere
    assert not rnn_panels_pay(BATCH, 32) and not rnn_panels_pay(3, HIDDEN)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
def test_layer_equals_the_reference(dtype, reverse):
    case, tolerance = _case(dtype), TOLERANCE[dtype]
    out, h_n, saved = ops.gru_layer_forward(case["x"], case["h0"], *_weights(case),
                                            case["lengths"], reverse)
    grads = ops.gru_layer_backward(saved, case["d_out"], case["d_hn"])
    want_out, want_h_n, want_grads = gru_reference(case["x"], case["h0"], *_weights(case),
                                                   case["lengths"], reverse)
    np.testing.assert_allclose(out, want_out, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(h_n, want_h_n, rtol=tolerance, atol=tolerance)
    for got, want in zip(grads, want_grads(case["d_out"], case["d_hn"]), strict=True):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


def test_inference_equals_the_reference():
    case, tolerance = _case(np.float32, seed=2), TOLERANCE[np.float32]
    out, h_n, _, _ = ops.layer_forward("gru", case["x"], case["h0"], None, *_weights(case),
                                       case["lengths"], True, save=False)
    want_out, want_h_n, _ = gru_reference(case["x"], case["h0"], *_weights(case),
                                          case["lengths"], True)
    np.testing.assert_allclose(out, want_out, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(h_n, want_h_n, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_panel_loops_equal_the_blas_loops(dtype):
    case, tolerance = _case(dtype, seed=1), TOLERANCE[dtype]
    xg = np.einsum("tnf,gf->tng", case["x"], case["w_ih"]) + case["b_ih"]
    w_hh, b_hh, lengths = case["w_hh"], case["b_hh"], case["lengths"]
    w_t = np.ascontiguousarray(w_hh.T)
    want = gru_forward(xg, case["h0"], w_t, b_hh, lengths, True)
    out, *saved = (np.empty_like(kept) for kept in (want[0], *want[2:]))
    h_n = gru_forward_into(xg, case["h0"], w_t, b_hh, lengths, True, True, out, *saved,
                           np.empty(panels_shape(HIDDEN, 3 * HIDDEN, dtype), dtype))
    for got, expected in zip((out, h_n, *saved), want, strict=True):
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    gates, hidden_n, h_prev = want[2:]
    want_back = gru_backward(gates, hidden_n, h_prev, w_hh, lengths, True, case["d_out"],
                             case["d_hn"])
    d_xg, d_hg = np.empty_like(gates), np.empty_like(gates)
    dh0 = gru_backward_into(gates, hidden_n, h_prev, w_hh, lengths, True, case["d_out"],
                            case["d_hn"], d_xg, d_hg,
                            np.empty(panels_shape(3 * HIDDEN, HIDDEN, dtype), dtype))
    for got, expected in zip((d_xg, d_hg, dh0), want_back, strict=True):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
