"""The one-thread RNN loops over W_hh packed into panels (`recurrent_rnn`, `rnn_panels_pay`).

Shapes that take the panels (batch >= 4, H >= 64) with H not a multiple of the panel width
(the padded columns of the per-step product are never read), per-sequence lengths, reverse,
tanh and relu, float64 and float32: the layer (through `recurrent_ops`, as training runs it)
against the NumPy reference, and the panel loops against the same loops on BLAS.
Since `loop_panels_pay` keeps BLAS where over 1/16 of a product's panel columns would be
padding, the layer at H 70 runs on BLAS; layers that take the panels are checked in
`test_loop_panels_rule.py`, and the padded panel loops here against BLAS directly.
"""

import numpy as np
import pytest

from seqlab.autograd.kernels.panel_gemm import panels_shape
from seqlab.autograd.kernels.recurrent_reference import rnn_reference
from seqlab.autograd.kernels.recurrent_rnn import rnn_backward, rnn_forward, rnn_panels_pay
from seqlab.seqmodels import recurrent_ops as ops

pytestmark = pytest.mark.kernels
HIDDEN, BATCH, STEPS, FEATURES = 70, 6, 5, 3


def _case(dtype, seed=0):
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(HIDDEN)
    return {
        "x": rng.standard_normal((STEPS, BATCH, FEATURES)).astype(dtype),
        "h0": rng.standard_normal((BATCH, HIDDEN)).astype(dtype),
        "w_ih": (rng.uniform(-scale, scale, (HIDDEN, FEATURES))).astype(dtype),
        "w_hh": (rng.uniform(-scale, scale, (HIDDEN, HIDDEN))).astype(dtype),
        "b_ih": rng.uniform(-scale, scale, HIDDEN).astype(dtype),
        "b_hh": rng.uniform(-scale, scale, HIDDEN).astype(dtype),
        "lengths": np.array([5, 1, 3, 5, 2, 4], np.int64),
        "d_out": rng.standard_normal((STEPS, BATCH, HIDDEN)).astype(dtype),
        "d_hn": rng.standard_normal((BATCH, HIDDEN)).astype(dtype),
    }


def test_these_shapes_take_the_panels():
    assert rnn_panels_pay(BATCH, HIDDEN)
    assert not rnn_panels_pay(BATCH, 32) and not rnn_panels_pay(3, HIDDEN)


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_layer_equals_the_reference(dtype, tolerance, reverse, nonlinearity):
    case = _case(dtype)
    weights = [case[name] for name in ("w_ih", "w_hh", "b_ih", "b_hh")]
    out, h_n, saved = ops.rnn_layer_forward(case["x"], case["h0"], *weights, case["lengths"],
                                            reverse, nonlinearity)
    grads = ops.rnn_layer_backward(saved, case["d_out"], case["d_hn"])
    want_out, want_h_n, want_grads = rnn_reference(case["x"], case["h0"], *weights,
                                                   case["lengths"], reverse, nonlinearity)
    np.testing.assert_allclose(out, want_out, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(h_n, want_h_n, rtol=tolerance, atol=tolerance)
    for got, want in zip(grads, want_grads(case["d_out"], case["d_hn"]), strict=True):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_panel_loops_equal_the_blas_loops(dtype):
    case = _case(dtype, seed=1)
    xg = np.einsum("tnf,hf->tnh", case["x"], case["w_ih"]) + case["b_ih"] + case["b_hh"]
    w_hh, lengths = case["w_hh"], case["lengths"]
    w_t = np.ascontiguousarray(w_hh.T)
    panels = np.empty(panels_shape(HIDDEN, HIDDEN, dtype), dtype)
    blas = np.empty((0, 1, 1), dtype)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    forward = [rnn_forward(xg, case["h0"], w_t, lengths, True, False, room)
               for room in (panels, blas)]
    for got, want in zip(*forward, strict=True):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    out = forward[1][0]
    backward = [rnn_backward(out, w_hh, lengths, True, False, case["d_out"], case["d_hn"], room)
                for room in (panels, blas)]
    for got, want in zip(*backward, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
