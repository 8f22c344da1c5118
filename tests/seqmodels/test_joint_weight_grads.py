"""joint_weight_grads: an LSTM layer's dW_ih and dW_hh as one product d_xg^T @ [x | h_prev].

The product against the two NumPy products apart (h_prev shifted from the outputs, both
directions, or saved), and a whole LSTM layer's backward through it against the float64 NumPy
reference layer and against the path apart (float32: round-off, as a BLAS may block the wider
product differently), on one thread and on two.
"""

import numpy as np
import pytest

from seqlab.autograd import threads
from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.seqmodels import joint_weight_grads as joint
from seqlab.seqmodels import recurrent_ops


@pytest.fixture(params=[1, 2])
def thread_count(request):
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def _draw(rng, *shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shifted,reverse", [(True, False), (True, True), (False, False),
                                             (False, True)])
def test_one_product_equals_the_two_apart(dtype, shifted, reverse):
    rng = np.random.default_rng(1)
    steps, batch, features, hidden = 7, 5, 11, 6
    d_xg = _draw(rng, steps, batch, 4 * hidden, dtype=dtype)
    x = _draw(rng, steps, batch, features, dtype=dtype)
    out = _draw(rng, steps, batch, hidden, dtype=dtype)
    h0 = _draw(rng, batch, hidden, dtype=dtype)
    h_prev = _draw(rng, steps, batch, hidden, dtype=dtype)
    if shifted:  # step t read out[t - 1] (out[t + 1] reversed), h0 at the first step read
        expected_prev = (np.concatenate([out[1:], h0[None]]) if reverse
                         else np.concatenate([h0[None], out[:-1]]))
    else:
        expected_prev = h_prev
    dw_ih, dw_hh = joint.joint_weight_grads(d_xg, x, None if shifted else h_prev, out, h0,
                                            shifted, reverse)
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12}
    expected_ih = np.einsum("tng,tnf->gf", d_xg.astype(np.float64), x.astype(np.float64))
    expected_hh = np.einsum("tng,tnh->gh", d_xg.astype(np.float64),
                            expected_prev.astype(np.float64))
    assert dw_ih.dtype == dw_hh.dtype == dtype
    assert dw_ih.flags.c_contiguous and dw_hh.flags.c_contiguous
    np.testing.assert_allclose(dw_ih, expected_ih, **tolerance)
    np.testing.assert_allclose(dw_hh, expected_hh, **tolerance)


def test_taken_for_an_lstm_over_a_deep_input_only():
    x = np.zeros((3, 2, joint.MIN_DEPTH), np.float32)
    narrow = np.zeros((3, 2, joint.MIN_DEPTH - 1), np.float32)
    w_ih, w_hh = np.zeros((16, joint.MIN_DEPTH), np.float32), np.zeros((16, 4), np.float32)
    assert joint.takes_joint_weight_grads("lstm", x, w_ih, w_hh, None)
    assert not joint.takes_joint_weight_grads("gru", x, w_ih, w_hh, None)
    assert not joint.takes_joint_weight_grads("lstm", narrow, w_ih[:, 1:], w_hh, None)
    assert not joint.takes_joint_weight_grads("lstm", x, w_ih, w_hh, np.zeros((3, 2), int))
    assert not joint.takes_joint_weight_grads("lstm", x, w_ih.astype(np.float64), w_hh, None)


def _layer_case(dtype, features, seed=0):
    rng = np.random.default_rng(seed)
    steps, batch, hidden = 9, 6, 8
    scale = np.asarray(0.4, dtype)
    return (scale * _draw(rng, steps, batch, features, dtype=dtype),
            scale * _draw(rng, batch, hidden, dtype=dtype),
            scale * _draw(rng, batch, hidden, dtype=dtype),
            scale * _draw(rng, 4 * hidden, features, dtype=dtype),
            scale * _draw(rng, 4 * hidden, hidden, dtype=dtype),
            scale * _draw(rng, 4 * hidden, dtype=dtype),
            scale * _draw(rng, 4 * hidden, dtype=dtype))


@pytest.mark.parametrize("lengths_kind,reverse", [("full", False), ("full", True),
                                                  ("lengths", False), ("lengths", True)])
def test_lstm_layer_backward_through_it_equals_the_reference(thread_count, lengths_kind,
                                                             reverse, monkeypatch):
    monkeypatch.setattr(joint, "MIN_DEPTH", 1)  # the small layer's input takes it
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _layer_case(np.float64, features=5)
    steps, batch = x.shape[:2]
    lengths = (None if lengths_kind == "full"
               else np.array([steps, 3, steps - 1, 1, 5, steps]))
    taken = []
    original = recurrent_ops._joint_layer_backward
    monkeypatch.setattr(recurrent_ops, "_joint_layer_backward",
                        lambda *args: taken.append(1) or original(*args))
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                            lengths, reverse)
    rng = np.random.default_rng(7)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    assert taken
    full = np.full(batch, steps) if lengths is None else lengths
    *_, expected_backward = reference.lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh, full,
                                                     reverse)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("need_input_grad", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_float32_layer_gradients_equal_the_path_apart_to_round_off(thread_count,
                                                                    need_input_grad, bias,
                                                                    monkeypatch):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _layer_case(np.float32, features=joint.MIN_DEPTH,
                                                    seed=3)
    biases = (b_ih, b_hh) if bias else (None, None)
    rng = np.random.default_rng(5)
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, *biases)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape).astype(np.float32)
                         for a in (out, h_n, c_n))
    assert joint.takes_joint_weight_grads("lstm", x, w_ih, w_hh, None)
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn, need_input_grad)
    monkeypatch.setattr(recurrent_ops, "takes_joint_weight_grads", lambda *_: False)
    apart = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn, need_input_grad)
    for new_grad, old_grad in zip(grads, apart, strict=True):
        assert (new_grad is None) == (old_grad is None)
        if new_grad is not None:
            assert new_grad.dtype == np.float32
            np.testing.assert_allclose(new_grad, old_grad, rtol=1e-5, atol=1e-6)
