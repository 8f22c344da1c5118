"""seqmodels.lstm_rows_layer: a training LSTM layer's projection and loop, and its loop and
weight gradients, each as one team split by sequence.

Two parts (called directly: any machine) give the same bits as the layer's other path
(`recurrent_ops.layer_forward` / `layer_backward` with the fused layer off) on whatever thread
count the test runs, so one thread and two give the same bits; float64 gradients equal the
NumPy reference layer and float32 lies within round-off of float64. Shapes hit the edges:
batch not a multiple of the tile's rows, F narrow (the narrow dW tiles) and wide (BLAS), no
bias, reverse, lengths (h_prev saved); dx through W_ih's panels (F = 128: a layer over another
layer). `layer_forward` / `layer_backward` take the team only where the rules say (LSTM,
saved, loop split by sequence, panels, dx only through the panels).
"""

import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.threads import usable_cores
from seqlab.seqmodels import lstm_rows_layer, recurrent_ops

STEPS = 16

CASES = {
    "base": {},
    "batch-30": {"batch": 30},
    "f8": {"features": 8},
    "f100": {"features": 100},
    "f1": {"features": 1},
    "no-bias": {"bias": False},
    "reverse": {"reverse": True},
    "lengths": {"lengths": True},
    "reverse-lengths": {"lengths": True, "reverse": True},
}
# dx through the panels: F a whole number of panel widths (a layer over another layer)
DX_CASES = {
    "f128": {"features": 128},
    "f128-batch-30-no-bias": {"features": 128, "batch": 30, "bias": False},
    "f128-reverse-lengths": {"features": 128, "lengths": True, "reverse": True},
}


def _layer(dtype, batch=16, features=40, hidden=128, bias=True, lengths=False, reverse=False,
           seed=0):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    arrays = {
        "x": draw(STEPS, batch, features), "h0": draw(batch, hidden), "c0": draw(batch, hidden),
        "w_ih": draw(4 * hidden, features, scale=features ** -0.5),
        "w_hh": draw(4 * hidden, hidden, scale=hidden ** -0.5),
        "b_ih": draw(4 * hidden) if bias else None, "b_hh": draw(4 * hidden) if bias else None,
    }
    steps_each = rng.integers(1, STEPS + 1, batch) if lengths else np.full(batch, STEPS)
    steps_each[0] = STEPS
    grads = {"d_out": draw(STEPS, batch, hidden, scale=1.0), "d_hn": draw(batch, hidden),
             "d_cn": draw(batch, hidden)}
    return arrays, steps_each.astype(np.int64), reverse, grads


def _other_path(arrays, lengths, reverse, grads, monkeypatch, need_input_grad=False):
    """Outputs and gradients (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh) with the fused layer
    off."""
    with monkeypatch.context() as patch:
        patch.setattr(lstm_rows_layer, "MIN_FUSED_PARTS", 1 << 62)
        out, h_n, c_n, saved = recurrent_ops.layer_forward("lstm", *arrays.values(), lengths,
                                                           reverse)
        result = [a.copy() for a in (out, h_n, c_n)]
        grads = recurrent_ops.layer_backward(saved, *grads.values(),
                                             need_input_grad=need_input_grad)
    return result, list(grads)


def _two_parts(arrays, lengths, reverse, grads, need_input_grad=False):
    bias = None if arrays["b_ih"] is None else arrays["b_ih"] + arrays["b_hh"]
    out, h_n, c_n, activations, _ = lstm_rows_layer.project_and_loop(
        arrays["x"], arrays["h0"], arrays["c0"], arrays["w_ih"], arrays["w_hh"], bias, lengths,
        reverse, 2)
    result = [a.copy() for a in (out, h_n, c_n)]
    dx, dh0, dc0, dw_ih, dw_hh, db = lstm_rows_layer.loop_and_weight_grads(
        activations, arrays["w_hh"], lengths, reverse, *grads.values(), arrays["x"],
        arrays["w_ih"], bias is not None, 2, False, need_input_grad)
    return result, [dx, dh0, dc0, dw_ih, dw_hh, db, db]  # (the two biases share a gradient)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_two_parts_give_the_bits_of_the_other_path(dtype, case, monkeypatch):
    layer = _layer(dtype, **CASES[case])
    expected_outputs, expected_grads = _other_path(*layer, monkeypatch)
    outputs, grads = _two_parts(*layer)
    for got, expected in zip(outputs + grads, expected_outputs + expected_grads, strict=True):
        if expected is None:
            assert got is None
        else:
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(DX_CASES))
def test_two_parts_with_dx_give_the_bits_of_the_other_path(dtype, case, monkeypatch):
    layer = _layer(dtype, **DX_CASES[case])
    expected_outputs, expected_grads = _other_path(*layer, monkeypatch, need_input_grad=True)
    outputs, grads = _two_parts(*layer, need_input_grad=True)
    assert grads[0].shape == layer[0]["x"].shape
    for got, expected in zip(outputs + grads, expected_outputs + expected_grads, strict=True):
        if expected is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("case", ["base", "f100", "reverse-lengths", "no-bias", "f128"])
def test_float64_equals_the_reference_and_float32_lies_within_round_off(case):
    arrays, lengths, reverse, grads = _layer(np.float64, **{**CASES, **DX_CASES}[case])
    out, h_n, c_n, backward = reference.lstm_reference(
        arrays["x"], arrays["h0"], arrays["c0"], arrays["w_ih"], arrays["w_hh"],
        arrays["b_ih"], arrays["b_hh"], lengths, reverse)
    # reference gradients: (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh)
    expected = backward(*grads.values())
    outputs, got = _two_parts(arrays, lengths, reverse, grads, need_input_grad=case == "f128")
    if case != "f128":
        expected, got = expected[1:], got[1:]
    np.testing.assert_allclose(outputs[0], out, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(outputs[1], h_n, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(outputs[2], c_n, rtol=1e-11, atol=1e-12)
    for actual, wanted in zip(got, expected, strict=True):
        if arrays["b_ih"] is None and actual is None:
            continue
        np.testing.assert_allclose(actual, wanted, rtol=1e-10, atol=1e-11)
    single = {name: None if a is None else a.astype(np.float32) for name, a in arrays.items()}
    outputs32, got32 = _two_parts(single, lengths, reverse,
                                  {name: a.astype(np.float32) for name, a in grads.items()},
                                  need_input_grad=case == "f128")
    if case != "f128":
        got32 = got32[1:]
    for actual, wanted in zip(outputs32 + got32, outputs + got, strict=True):
        if wanted is not None:
            scale = np.abs(wanted).max()
            np.testing.assert_allclose(actual, wanted, rtol=0, atol=2e-5 * max(scale, 1.0))


def test_the_layer_takes_the_team_only_where_the_rules_say():
    x = np.zeros((STEPS, 32, 40), np.float32)
    w_ih = np.zeros((512, 40), np.float32)
    gates = np.zeros((STEPS, 32, 512), np.float32)
    assert lstm_rows_layer.forward_parts("gru", x, np.zeros((384, 40), np.float32), True) == 0
    assert lstm_rows_layer.forward_parts("lstm", x, w_ih, False) == 0  # no backward to run
    assert lstm_rows_layer.forward_parts("lstm", x, w_ih.astype(np.float64), True) == 0
    # dx wanted, F = 40 not a whole number of panel widths: the other path's BLAS dx
    assert lstm_rows_layer.backward_parts("lstm", x, w_ih, gates, False, True) == 0
    assert lstm_rows_layer.backward_parts("lstm", x, w_ih, gates, True, False) == 0  # a table
    assert lstm_rows_layer.backward_parts("gru", x, w_ih, gates[..., :384], False, False) == 0
    small = np.zeros((STEPS, 8, 40), np.float32)  # 4 sequences a part: split by units
    assert lstm_rows_layer.backward_parts("lstm", small, w_ih, gates[:, :8], False, False) == 0


@pytest.mark.skipif(usable_cores() < 2, reason="the team needs two cores to be chosen")
def test_two_threads_run_the_layer_as_one_team_a_direction(two_threads, monkeypatch):
    calls = []
    for name in ("project_and_loop", "loop_and_weight_grads"):
        original = getattr(lstm_rows_layer, name)
        monkeypatch.setattr(lstm_rows_layer, name,
                            lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    arrays, lengths, reverse, grads = _layer(np.float32)
    _, _, _, saved = recurrent_ops.layer_forward("lstm", *arrays.values(), lengths, reverse)
    recurrent_ops.layer_backward(saved, *grads.values(), need_input_grad=False)
    assert calls == ["project_and_loop", "loop_and_weight_grads"]
    _, _, _, saved = recurrent_ops.layer_forward("lstm", *arrays.values(), lengths, reverse)
    recurrent_ops.layer_backward(saved, *grads.values(), need_input_grad=True)  # dx: other path
    assert calls == ["project_and_loop", "loop_and_weight_grads", "project_and_loop"]
    arrays, lengths, reverse, grads = _layer(np.float32, features=128)  # dx through panels
    _, _, _, saved = recurrent_ops.layer_forward("lstm", *arrays.values(), lengths, reverse)
    recurrent_ops.layer_backward(saved, *grads.values(), need_input_grad=True)
    assert calls[3:] == ["project_and_loop", "loop_and_weight_grads"]
