"""The one-thread RNN loops writing into the caller's arrays (`rnn_forward_into`,
`rnn_backward_into`): the training loop passes reused workspace blocks, whose old contents
must never leak. Rooms filled with NaN first: every element is written, and the results are
the allocating loops' bits (and the NumPy reference's values) with per-sequence lengths,
reverse, tanh and relu, on panels (H 64) and on BLAS (H 20); and a layer large enough to
take them (`recurrent_loops._reuses_blocks`) against the reference."""

import numpy as np
import pytest

from seqlab.autograd.kernels.panel_gemm import panels_shape
from seqlab.autograd.kernels.recurrent_reference import rnn_reference
from seqlab.autograd.kernels.recurrent_rnn import (
    rnn_backward,
    rnn_backward_into,
    rnn_forward,
    rnn_forward_into,
    rnn_panels_pay,
)
from seqlab.seqmodels import recurrent_ops as ops
from seqlab.seqmodels.recurrent_loops import _reuses_blocks

pytestmark = pytest.mark.kernels
BATCH, STEPS, FEATURES = 6, 5, 3


def _case(hidden, dtype):
    rng = np.random.default_rng(hidden)
    scale = 1 / np.sqrt(hidden)
    return {
        "x": rng.standard_normal((STEPS, BATCH, FEATURES)).astype(dtype),
        "h0": rng.standard_normal((BATCH, hidden)).astype(dtype),
        "w_ih": rng.uniform(-scale, scale, (hidden, FEATURES)).astype(dtype),
        "w_hh": rng.uniform(-scale, scale, (hidden, hidden)).astype(dtype),
        "b_ih": rng.uniform(-scale, scale, hidden).astype(dtype),
        "b_hh": rng.uniform(-scale, scale, hidden).astype(dtype),
        "lengths": np.array([5, 1, 3, 5, 2, 4], np.int64),
        "d_out": rng.standard_normal((STEPS, BATCH, hidden)).astype(dtype),
        "d_hn": rng.standard_normal((BATCH, hidden)).astype(dtype),
    }


def _room(hidden, dtype):
    if rnn_panels_pay(BATCH, hidden):
        return np.empty(panels_shape(hidden, hidden, dtype), dtype)
    return np.empty((0, 1, 1), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", [64, 20])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("relu", [False, True])
def test_into_loops_write_every_element_with_the_same_bits(dtype, hidden, reverse, relu):
    case = _case(hidden, dtype)
    weights = [case[name] for name in ("w_ih", "w_hh", "b_ih", "b_hh")]
    xg = np.einsum("tnf,hf->tnh", case["x"], case["w_ih"]) + case["b_ih"] + case["b_hh"]
    w_hh, lengths = case["w_hh"], case["lengths"]
    w_t = np.ascontiguousarray(w_hh.T)
    out, h_prev = (np.full(xg.shape, np.nan, dtype) for _ in range(2))
    h_n = rnn_forward_into(xg, case["h0"], w_t, lengths, reverse, relu, out, h_prev,
                           _room(hidden, dtype))
    want_out, want_h_n, want_h_prev = rnn_forward(xg, case["h0"], w_t, lengths, reverse, relu,
                                                  _room(hidden, dtype))
    for got, want in ((out, want_out), (h_n, want_h_n), (h_prev, want_h_prev)):
        np.testing.assert_array_equal(got, want)
    d_xg = np.full(xg.shape, np.nan, dtype)
    dh0 = rnn_backward_into(out, w_hh, lengths, reverse, relu, case["d_out"], case["d_hn"],
                            d_xg, _room(hidden, dtype))
    want_d_xg, want_dh0 = rnn_backward(out, w_hh, lengths, reverse, relu, case["d_out"],
                                       case["d_hn"], _room(hidden, dtype))
    np.testing.assert_array_equal(d_xg, want_d_xg)
    np.testing.assert_array_equal(dh0, want_dh0)
    # and the values of the plain-NumPy reference (the padded steps' outputs are zeros)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    ref_out, ref_h_n, ref_grads = rnn_reference(case["x"], case["h0"], *weights, lengths,
                                                reverse, "relu" if relu else "tanh")
    np.testing.assert_allclose(out, ref_out, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(h_n, ref_h_n, rtol=tolerance, atol=tolerance)
    ref_dh0 = ref_grads(case["d_out"], case["d_hn"])[1]
    np.testing.assert_allclose(dh0, ref_dh0, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("reverse", [False, True])
def test_layer_large_enough_for_reused_blocks_equals_the_reference(reverse):
    """A layer whose (T, N, H) arrays come from the workspace (`_reuses_blocks`) takes the
    `_into` loops: run twice (the second call reuses the first's blocks), the reference's
    values both times."""
    steps, batch, hidden, features = 32, 32, 128, 3
    rng = np.random.default_rng(7)
    scale = 1 / np.sqrt(hidden)
    x = rng.standard_normal((steps, batch, features))
    h0 = rng.standard_normal((batch, hidden))
    weights = [rng.uniform(-scale, scale, shape) for shape in
               ((hidden, features), (hidden, hidden), (hidden,), (hidden,))]
    lengths = rng.integers(1, steps + 1, batch)
    d_out = rng.standard_normal((steps, batch, hidden))
    d_hn = rng.standard_normal((batch, hidden))
    assert _reuses_blocks(np.empty((steps, batch, hidden)))
    want_out, want_h_n, want_grads = rnn_reference(x, h0, *weights, lengths, reverse, "tanh")
    for _ in range(2):
        out, h_n, saved = ops.rnn_layer_forward(x, h0, *weights, lengths, reverse, "tanh")
        grads = ops.rnn_layer_backward(saved, d_out, d_hn)
        np.testing.assert_allclose(out, want_out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h_n, want_h_n, rtol=1e-12, atol=1e-12)
        for got, want in zip(grads, want_grads(d_out, d_hn), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
