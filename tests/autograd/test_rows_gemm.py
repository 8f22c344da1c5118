"""kernels.rows_gemm: `a @ b.T` by dot products of rows, and the LSTM loops that use it.

The loops take that path only from 4 batch rows and dot products 256 long (`rows_gemm_pays`),
which the other kernel tests (batch 3, hidden 3) never reach: here the forward (depth H = 256)
and the backward (depth 4H = 256 at H = 64) run it, alone and as a team of two, against the
NumPy reference layer.
"""

import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.rows_gemm import MIN_DEPTH, MIN_ROWS, rows_gemm_into, rows_gemm_pays
from seqlab.seqmodels import recurrent_loops, recurrent_ops

pytestmark = pytest.mark.kernels


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(8, 16, 12), (5, 7, 9), (1, 3, 4), (4, 1, 4), (3, 20, 2),
                                   (6, 33, 10)])
def test_rows_gemm_equals_numpy(dtype, shape):
    rows, depth, cols = shape
    rng = np.random.default_rng(rows * depth + cols)
    a = rng.standard_normal((rows, depth)).astype(dtype)
    b = rng.standard_normal((cols, depth)).astype(dtype)
    out = np.full((rows, cols), np.nan, dtype)
    rows_gemm_into(a, b, out)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(out, a @ b.T, rtol=tolerance, atol=tolerance)


def test_rows_gemm_reads_and_writes_strided_rows():
    """One step's rows of a (T, N, G) array, a block of a matrix's rows, into a row block."""
    rng = np.random.default_rng(3)
    steps = rng.standard_normal((3, 6, 10))
    weight = rng.standard_normal((9, 10))
    target = np.zeros((6, 12))
    rows_gemm_into(steps[1], weight[2:7], target[:, 4:9])
    expected = np.zeros((6, 12))
    expected[:, 4:9] = steps[1] @ weight[2:7].T
    np.testing.assert_allclose(target, expected, rtol=1e-12, atol=1e-12)


def test_rows_gemm_pays_from_four_rows_and_depth_256():
    assert rows_gemm_pays(MIN_ROWS, MIN_DEPTH)
    assert not rows_gemm_pays(MIN_ROWS - 1, 4 * MIN_DEPTH)
    assert not rows_gemm_pays(32, MIN_DEPTH - 1)


def _lstm_case(hidden, batch, steps, seed):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return scale * rng.standard_normal(shape)

    width = 4 * hidden
    return (draw(steps, batch, 3), draw(batch, hidden), draw(batch, hidden),
            draw(width, 3), draw(width, hidden, scale=1 / np.sqrt(hidden)), draw(width),
            draw(width))


@pytest.mark.parametrize("hidden", [64, 256])  # backward on rows; forward too at 256
@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("lengths", [None, [2, 1, 2, 2, 1]])
def test_lstm_layer_on_the_rows_path_equals_the_reference(hidden, parts, lengths, monkeypatch):
    steps, batch = 2, 5
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _lstm_case(hidden, batch, steps, seed=hidden + parts)
    assert rows_gemm_pays(batch, 4 * hidden) and rows_gemm_pays(batch, hidden) == (hidden >= 256)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: parts)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)  # small teams
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_BACKWARD_STEP_MACS", 0)
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                            lengths, reverse=lengths is not None)
    full = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    expected_out, expected_h, expected_c, expected_backward = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, full, lengths is not None)
    for actual, expected in ((out, expected_out), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)
    rng = np.random.default_rng(7)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize(("kind", "hidden"), [("gru", 96), ("gru", 256), ("rnn_tanh", 256),
                                              ("rnn_relu", 256)])
def test_gru_and_rnn_layers_on_the_rows_path_equal_the_reference(kind, hidden):
    """GRU: backward from H = 86 (depth 3H), forward from 256; RNN: both from H = 256."""
    steps, batch, gates = 2, 5, 3 if kind == "gru" else 1
    rng = np.random.default_rng(hidden)
    x = 0.5 * rng.standard_normal((steps, batch, 3))
    h0 = 0.5 * rng.standard_normal((batch, hidden))
    w_ih = 0.5 * rng.standard_normal((gates * hidden, 3))
    w_hh = rng.standard_normal((gates * hidden, hidden)) / np.sqrt(hidden)
    b_ih, b_hh = 0.5 * rng.standard_normal((2, gates * hidden))
    lengths = [2, 1, 2, 2, 1]
    if kind == "gru":
        out, h_n, saved = recurrent_ops.gru_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths,
                                                          reverse=True)
        backward = recurrent_ops.gru_layer_backward
        expected_out, expected_h, expected_backward = reference.gru_reference(
            x, h0, w_ih, w_hh, b_ih, b_hh, np.asarray(lengths), True)
    else:
        nonlinearity = kind.removeprefix("rnn_")
        out, h_n, saved = recurrent_ops.rnn_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths,
                                                          True, nonlinearity)
        backward = recurrent_ops.rnn_layer_backward
        expected_out, expected_h, expected_backward = reference.rnn_reference(
            x, h0, w_ih, w_hh, b_ih, b_hh, np.asarray(lengths), True, nonlinearity)
    np.testing.assert_allclose(out, expected_out, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h_n, expected_h, rtol=1e-12, atol=1e-13)
    d_out, d_hn = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    for actual, expected in zip(backward(saved, d_out, d_hn), expected_backward(d_out, d_hn),
                                strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)
