"""Narrow raw features (F < `around_products.MIN_DEPTH`, down to F 1) through the fed LSTM
training forward split by sequence (two parts, as on two threads), where `rows_layer`'s team
does not take the layer first: the same bits as the projection and the loop apart (outputs,
saved activations, every gradient), reversed and with lengths, and the float64 reference's
values. `test_lstm_fed.py` covers narrow features on one part only; at two parts
`rows_layer` takes these shapes first, so it is set aside here to reach the fed loop."""

import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import FMA
from seqlab.seqmodels import recurrent_fed, recurrent_loops, recurrent_ops, rows_layer

sys.path.insert(0, str(Path(__file__).parent))  # test_lstm_fed's own cases
from test_lstm_fed import _assert_same_forward, _case, _lengths, _old_path

pytestmark = pytest.mark.kernels
JITTED = FMA and not numba.config.DISABLE_JIT


@pytest.mark.skipif(not JITTED, reason="the projection takes the panels only jitted, with FMA")
@pytest.mark.parametrize("features", [1, 7])
@pytest.mark.parametrize("lengths_kind,reverse", [("full", False), ("full", True),
                                                  ("lengths", False)])
def test_narrow_features_split_in_two_give_the_bits_apart_and_the_reference(
        features, lengths_kind, reverse, monkeypatch):
    steps, batch, hidden = 16, 37, 64  # 37: an odd batch split in two
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(hidden, batch, steps, features, np.float64,
                                              seed=features)
    lengths = _lengths(lengths_kind, steps, batch)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)
    monkeypatch.setattr(rows_layer, "forward_parts", lambda *_: 0)
    fed_calls = []
    fed_forward = recurrent_ops.lstm_fed_forward
    monkeypatch.setattr(recurrent_ops, "lstm_fed_forward",
                        lambda *args: fed_calls.append(args[-1]) or fed_forward(*args))
    checked = recurrent_ops.check_lengths(lengths, steps, batch)
    assert recurrent_fed.fed_loop_parts(x, w_ih, w_hh, checked, reverse) == 2
    fed = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    assert fed_calls == [2]  # the fed loop ran, in two parts
    with monkeypatch.context() as apart:
        _old_path(apart)
        old = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths,
                                               reverse)
    _assert_same_forward(fed, old)
    rng = np.random.default_rng(features)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in fed[:3])
    grads = recurrent_ops.lstm_layer_backward(fed[3], d_out, d_hn, d_cn)
    for new_grad, old_grad in zip(grads, recurrent_ops.lstm_layer_backward(old[3], d_out, d_hn,
                                                                           d_cn), strict=True):
        np.testing.assert_array_equal(new_grad, old_grad)
    full = np.full(batch, steps) if lengths is None else lengths
    expected_out, expected_h, expected_c, expected_backward = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, full, reverse)
    for actual, expected in ((fed[0], expected_out), (fed[1], expected_h), (fed[2], expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-11)
