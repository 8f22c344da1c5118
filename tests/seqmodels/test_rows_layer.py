"""seqmodels.rows_layer: a training recurrent layer's projection and loop, and its loop and
other products, each as one team split by sequence (LSTM, GRU, RNN tanh / relu).

Two parts (called directly: any machine) give the same bits as the layer's other path
(`recurrent_ops.layer_forward` / `layer_backward` with the fused layer off, on two threads
where the machine has them, else one: both give the same bits), so one thread and two give
the same bits; float64 gradients equal the NumPy reference layers and float32 lies within
round-off of float64. Shapes hit the edges: batch not a multiple of the tile's rows, F narrow
(the narrow dW tiles) and wide (BLAS), no bias, reverse, lengths (LSTM's h_prev saved); dx
through W_ih's panels (F = 128: a layer over another layer). `layer_forward` /
`layer_backward` take the team only where the rules say (a loop split by sequence, panels,
dx only through the panels, no table).
"""

import numba
import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.threads import usable_cores
from seqlab.seqmodels import recurrent_ops, rows_layer
from seqlab.seqmodels.around_products import products_take_panels
from seqlab.seqmodels.cell_kinds import CELL_KINDS

STEPS = 16
pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT,
                                reason="the layer's team takes the jitted panels only")
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
# steps enough that the projection of 16 sequences takes the panels (T*N x G*H outputs)
KIND_STEPS = {"lstm": 16, "gru": 32, "rnn_tanh": 64, "rnn_relu": 64}

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


def _layer(kind, dtype, batch=16, features=40, hidden=128, bias=True, lengths=False,
           reverse=False, seed=0):
    rng = np.random.default_rng(seed)
    gates = GATES[kind] * hidden
    steps = KIND_STEPS[kind]
    assert products_take_panels(steps * batch, features, gates, dtype)  # what the team runs

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    arrays = {
        "x": draw(steps, batch, features), "h0": draw(batch, hidden),
        "c0": draw(batch, hidden) if kind == "lstm" else None,
        "w_ih": draw(gates, features, scale=features ** -0.5),
        "w_hh": draw(gates, hidden, scale=hidden ** -0.5),
        "b_ih": draw(gates) if bias else None, "b_hh": draw(gates) if bias else None,
    }
    steps_each = rng.integers(1, steps + 1, batch) if lengths else np.full(batch, steps)
    steps_each[0] = steps
    grads = {"d_out": draw(steps, batch, hidden, scale=1.0), "d_hn": draw(batch, hidden),
             "d_cn": draw(batch, hidden) if kind == "lstm" else None}
    return kind, arrays, steps_each.astype(np.int64), reverse, grads


def _other_path(kind, arrays, lengths, reverse, grads, monkeypatch, need_input_grad=False):
    """Outputs (out, h_n, c_n) and gradients (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh) with
    the fused layer off."""
    with monkeypatch.context() as patch:
        patch.setattr(rows_layer, "MIN_FUSED_PARTS", 1 << 62)
        out, h_n, c_n, saved = recurrent_ops.layer_forward(kind, *arrays.values(), lengths,
                                                           reverse)
        result = [None if a is None else a.copy() for a in (out, h_n, c_n)]
        grads = recurrent_ops.layer_backward(saved, *grads.values(),
                                             need_input_grad=need_input_grad)
    return result, list(grads)


def _two_parts(kind, arrays, lengths, reverse, grads, need_input_grad=False):
    kind_of = CELL_KINDS[kind]
    bias = kind_of.projection_bias(arrays["b_ih"], arrays["b_hh"])
    loop_bias = arrays["b_hh"] if kind_of.hh_bias_in_loop else None
    out, h_n, c_n, activations = rows_layer.project_and_loop(
        kind, arrays["x"], arrays["h0"], arrays["c0"], arrays["w_ih"], arrays["w_hh"], bias,
        loop_bias, lengths, reverse, 2)
    result = [None if a is None else a.copy() for a in (out, h_n, c_n)]
    grads = rows_layer.loop_and_weight_grads(
        kind, activations, arrays["w_hh"], lengths, reverse, *grads.values(), arrays["x"],
        arrays["w_ih"], arrays["b_ih"] is not None, 2, False, need_input_grad)
    return result, list(grads)


def _assert_same_bits(got_all, expected_all, dtype):
    for got, expected in zip(got_all, expected_all, strict=True):
        if expected is None:
            assert got is None
        else:
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("kind", list(GATES))
def test_two_parts_give_the_bits_of_the_other_path(kind, dtype, case, two_threads,
                                                   monkeypatch):
    if kind == "rnn_relu" and case not in ("base", "reverse-lengths"):
        pytest.skip("relu shares tanh's layer code: two cases suffice")
    layer = _layer(kind, dtype, **CASES[case])
    expected_outputs, expected_grads = _other_path(*layer, monkeypatch)
    outputs, grads = _two_parts(*layer)
    _assert_same_bits(outputs + grads, expected_outputs + expected_grads, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(DX_CASES))
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_two_parts_with_dx_give_the_bits_of_the_other_path(kind, dtype, case, two_threads,
                                                           monkeypatch):
    layer = _layer(kind, dtype, **DX_CASES[case])
    expected_outputs, expected_grads = _other_path(*layer, monkeypatch, need_input_grad=True)
    outputs, grads = _two_parts(*layer, need_input_grad=True)
    assert grads[0].shape == layer[1]["x"].shape
    _assert_same_bits(outputs + grads, expected_outputs + expected_grads, dtype)


def _reference(kind, arrays, lengths, reverse):
    args = [arrays[name] for name in ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh")]
    if kind == "lstm":
        return reference.lstm_reference(*args, lengths, reverse)
    del args[2]  # no c0
    if kind == "gru":
        return reference.gru_reference(*args, lengths, reverse)
    return reference.rnn_reference(*args, lengths, reverse, nonlinearity=kind[4:])


@pytest.mark.parametrize("case", ["base", "f100", "reverse-lengths", "no-bias", "f128"])
@pytest.mark.parametrize("kind", list(GATES))
def test_float64_equals_the_reference_and_float32_lies_within_round_off(kind, case):
    layer = _layer(kind, np.float64, **{**CASES, **DX_CASES}[case])
    _, arrays, lengths, reverse, grads = layer
    *expected_outputs, backward = _reference(kind, arrays, lengths, reverse)
    with_dx = case == "f128"
    # reference gradients: (dx, dh0, [dc0,] dW_ih, dW_hh, db_ih, db_hh)
    expected = list(backward(*(g for g in grads.values() if g is not None)))
    outputs, got = _two_parts(*layer, need_input_grad=with_dx)
    if kind != "lstm":
        got = got[:2] + got[3:]  # (no dc0)
    kept = slice(0, None) if with_dx else slice(1, None)
    for actual, wanted in zip(outputs, expected_outputs, strict=False):
        np.testing.assert_allclose(actual, wanted, rtol=1e-11, atol=1e-12)
    for actual, wanted in zip(got[kept], expected[kept], strict=True):
        if arrays["b_ih"] is None and actual is None:
            continue
        np.testing.assert_allclose(actual, wanted, rtol=1e-10, atol=1e-11)
    single = {name: None if a is None else a.astype(np.float32) for name, a in arrays.items()}
    grads32 = {name: None if a is None else a.astype(np.float32) for name, a in grads.items()}
    outputs32, got32 = _two_parts(kind, single, lengths, reverse, grads32,
                                  need_input_grad=with_dx)
    if kind != "lstm":
        got32 = got32[:2] + got32[3:]
    for actual, wanted in zip(outputs32 + got32[kept], outputs + got[kept], strict=True):
        if wanted is not None:
            scale = np.abs(wanted).max()
            np.testing.assert_allclose(actual, wanted, rtol=0, atol=2e-5 * max(scale, 1.0))


def test_the_layer_takes_the_team_only_where_the_rules_say(two_threads):
    x = np.zeros((STEPS, 32, 40), np.float32)
    w_ih, w_hh = np.zeros((512, 40), np.float32), np.zeros((512, 128), np.float32)
    assert rows_layer.forward_parts("lstm", x, w_ih, w_hh, False) == 0  # no backward to run
    assert rows_layer.forward_parts("lstm", x, w_ih.astype(np.float64), w_hh, True) == 0
    # dx wanted, F = 40 not a whole number of panel widths: the other path's BLAS dx
    assert rows_layer.backward_parts("lstm", x, w_ih, w_hh, False, True) == 0
    assert rows_layer.backward_parts("lstm", x, w_ih, w_hh, True, False) == 0  # a table
    small = np.zeros((STEPS, 8, 40), np.float32)  # 4 sequences a part: split by units
    assert rows_layer.backward_parts("lstm", small, w_ih, w_hh, False, False) == 0
    # an RNN H 64 loop of 16 steps: on one thread (`loop_rows_team`), so no fused layer
    assert rows_layer.forward_parts("rnn_tanh", x, np.zeros((64, 40), np.float32),
                                    np.zeros((64, 64), np.float32), True) == 0


@pytest.mark.skipif(usable_cores() < 2, reason="the team needs two cores to be chosen")
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_two_threads_run_the_layer_as_one_team_a_direction(kind, two_threads, monkeypatch):
    calls = []
    for name in ("project_and_loop", "loop_and_weight_grads"):
        original = getattr(rows_layer, name)
        monkeypatch.setattr(rows_layer, name,
                            lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    kind, arrays, lengths, reverse, grads = _layer(kind, np.float32)
    _, _, _, saved = recurrent_ops.layer_forward(kind, *arrays.values(), lengths, reverse)
    recurrent_ops.layer_backward(saved, *grads.values(), need_input_grad=False)
    assert calls == ["project_and_loop", "loop_and_weight_grads"]
    _, _, _, saved = recurrent_ops.layer_forward(kind, *arrays.values(), lengths, reverse)
    recurrent_ops.layer_backward(saved, *grads.values(), need_input_grad=True)  # dx: other path
    assert calls == ["project_and_loop", "loop_and_weight_grads", "project_and_loop"]
    kind, arrays, lengths, reverse, grads = _layer(kind, np.float32, features=128)
    _, _, _, saved = recurrent_ops.layer_forward(kind, *arrays.values(), lengths, reverse)
    recurrent_ops.layer_backward(saved, *grads.values(), need_input_grad=True)
    assert calls[3:] == ["project_and_loop", "loop_and_weight_grads"]
