"""Fused recurrent kernels (LSTM / GRU / RNN, one direction of one layer) against the equations.

Three independent checks: the kernels against the plain-NumPy step-by-step references, both
against central differences in float64, and the `lengths` / `reverse` semantics against running
each sequence alone (truncated, or time-flipped).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.recurrent_blas import transposed
from seqlab.autograd.kernels.recurrent_gru import gru_step
from seqlab.autograd.kernels.recurrent_lstm import lstm_step
from seqlab.autograd.kernels.recurrent_rnn import rnn_step
from seqlab.seqmodels import recurrent_ops as ops

KINDS = ("lstm", "gru", "rnn_tanh", "rnn_relu")
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def make_case(kind, dtype, steps=5, batch=3, features=4, hidden=3, bias=True, seed=0, scale=0.6):
    """Random inputs, states and weights for one layer direction of `kind`."""
    rng = np.random.default_rng(seed)
    width = GATES[kind] * hidden

    def draw(*shape):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    return {
        "x": draw(steps, batch, features),
        "states": [draw(batch, hidden) for _ in range(2 if kind == "lstm" else 1)],
        "w_ih": draw(width, features),
        "w_hh": draw(width, hidden),
        "b_ih": draw(width) if bias else None,
        "b_hh": draw(width) if bias else None,
    }


def kernel_forward(kind, case, lengths, reverse):
    """Fused path: return the outputs [out, h_n, (c_n)], the saved arrays and the backward."""
    args = (case["w_ih"], case["w_hh"], case["b_ih"], case["b_hh"], lengths, reverse)
    if kind == "lstm":
        out, h_n, c_n, saved = ops.lstm_layer_forward(case["x"], *case["states"], *args)
        return [out, h_n, c_n], saved, ops.lstm_layer_backward
    if kind == "gru":
        out, h_n, saved = ops.gru_layer_forward(case["x"], *case["states"], *args)
        return [out, h_n], saved, ops.gru_layer_backward
    nonlinearity = kind.removeprefix("rnn_")
    out, h_n, saved = ops.rnn_layer_forward(case["x"], *case["states"], *args, nonlinearity)
    return [out, h_n], saved, ops.rnn_layer_backward


def run_kernel(kind, case, lengths, reverse):
    """Fused path: return the outputs and a function of their gradients."""
    outputs, saved, layer_backward = kernel_forward(kind, case, lengths, reverse)
    return outputs, lambda *grads: layer_backward(saved, *grads)


def run_reference(kind, case, lengths, reverse):
    """Reference path, same interface as run_kernel."""
    steps, batch, _ = case["x"].shape
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    args = (case["w_ih"], case["w_hh"], case["b_ih"], case["b_hh"], lengths, reverse)
    if kind == "lstm":
        out, h_n, c_n, grads = reference.lstm_reference(case["x"], *case["states"], *args)
        return [out, h_n, c_n], grads
    if kind == "gru":
        out, h_n, grads = reference.gru_reference(case["x"], *case["states"], *args)
        return [out, h_n], grads
    nonlinearity = kind.removeprefix("rnn_")
    out, h_n, grads = reference.rnn_reference(case["x"], *case["states"], *args, nonlinearity)
    return [out, h_n], grads


def output_grads(outputs, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape).astype(o.dtype) for o in outputs]


def assert_all_close(actual, expected, rtol, atol):
    assert len(actual) == len(expected)
    for index, (a, e) in enumerate(zip(actual, expected)):
        if e is None:
            assert a is None, f"item {index}: expected None"
            continue
        assert a.shape == e.shape, f"item {index}: shape {a.shape} != {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"item {index}")


@pytest.mark.kernels
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, [5, 2, 4]])
def test_kernel_matches_reference(kind, dtype, reverse, lengths):
    case = make_case(kind, dtype)
    outputs, backward = run_kernel(kind, case, lengths, reverse)
    expected, expected_backward = run_reference(kind, case, lengths, reverse)
    d_outputs = output_grads(outputs)
    exact = dtype == np.float64
    tolerance = {"rtol": 1e-12, "atol": 1e-13} if exact else {"rtol": 2e-5, "atol": 2e-6}
    assert all(o.dtype == dtype for o in outputs)
    assert_all_close(outputs, expected, **tolerance)
    grads = backward(*d_outputs)
    assert all(g.dtype == dtype for g in grads)
    assert_all_close(grads, expected_backward(*d_outputs), **tolerance)


@pytest.mark.kernels
@pytest.mark.parametrize("kind", KINDS)
def test_kernel_without_bias_matches_reference(kind):
    case = make_case(kind, np.float64, bias=False)
    outputs, backward = run_kernel(kind, case, [3, 5, 1], True)
    expected, expected_backward = run_reference(kind, case, [3, 5, 1], True)
    d_outputs = output_grads(outputs)
    assert_all_close(outputs, expected, rtol=1e-12, atol=1e-13)
    grads = backward(*d_outputs)
    assert grads[-1] is None and grads[-2] is None
    assert_all_close(grads, expected_backward(*d_outputs), rtol=1e-12, atol=1e-13)


@pytest.mark.kernels
@settings(deadline=None, max_examples=12)
@given(
    kind=st.sampled_from(KINDS),
    steps=st.integers(1, 4),
    batch=st.integers(1, 3),
    hidden=st.integers(1, 3),
    reverse=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_kernel_matches_reference_on_random_shapes(kind, steps, batch, hidden, reverse, seed):
    case = make_case(kind, np.float64, steps, batch, features=2, hidden=hidden, seed=seed)
    lengths = np.random.default_rng(seed).integers(1, steps + 1, size=batch)
    outputs, backward = run_kernel(kind, case, lengths, reverse)
    expected, expected_backward = run_reference(kind, case, lengths, reverse)
    d_outputs = output_grads(outputs, seed)
    assert_all_close(outputs, expected, rtol=1e-12, atol=1e-13)
    assert_all_close(backward(*d_outputs), expected_backward(*d_outputs), rtol=1e-12, atol=1e-13)


@pytest.mark.kernels
@pytest.mark.parametrize("kind", KINDS)
def test_float32_saturated_gates_stay_finite_and_accurate(kind):
    # pre-activations around +-60: exp overflows in a naive float32 sigmoid
    case = make_case(kind, np.float32, scale=8.0, seed=3)
    outputs, backward = run_kernel(kind, case, [5, 3, 1], False)
    case64 = {
        k: [s.astype(np.float64) for s in v]
        if k == "states"
        else (None if v is None else v.astype(np.float64))
        for k, v in case.items()
    }
    expected, _ = run_reference(kind, case64, [5, 3, 1], False)
    grads = backward(*output_grads(outputs))
    assert all(np.isfinite(a).all() for a in [*outputs, *grads])
    scale = np.abs(expected[0]).max() + 1.0
    for actual, wanted in zip(outputs, expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=1e-5 * scale)


def numeric_gradient(loss, array, eps=1e-6):
    """Central differences of a scalar function of `array` (perturbed in place)."""
    grad = np.zeros_like(array)
    flat, grad_flat = array.reshape(-1), grad.reshape(-1)
    for index in range(flat.size):
        original = flat[index]
        flat[index] = original + eps
        plus = loss()
        flat[index] = original - eps
        minus = loss()
        flat[index] = original
        grad_flat[index] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(run, kind, lengths, reverse, bias=True):
    """Compare `run`'s analytic gradients with central differences of a random linear loss."""
    case = make_case(kind, np.float64, steps=4, batch=3, features=3, hidden=3, bias=bias, seed=7)
    outputs, backward = run(kind, case, lengths, reverse)
    weights = output_grads(outputs, seed=11)

    def loss():
        new_outputs, _ = run(kind, case, lengths, reverse)
        return sum(float((o * w).sum()) for o, w in zip(new_outputs, weights))

    analytic = backward(*weights)
    arrays = [case["x"], *case["states"], case["w_ih"], case["w_hh"], case["b_ih"], case["b_hh"]]
    state_names = ["dh0", "dc0"][: len(case["states"])]
    names = ["dx", *state_names, "dw_ih", "dw_hh", "db_ih", "db_hh"]
    assert len(analytic) == len(arrays)
    for name, array, grad in zip(names, arrays, analytic):
        if array is None:
            assert grad is None, name
            continue
        np.testing.assert_allclose(
            grad, numeric_gradient(loss, array), rtol=1e-6, atol=1e-8, err_msg=name
        )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, [4, 1, 3]])
def test_kernel_gradients_match_central_differences(kind, reverse, lengths):
    gradcheck(run_kernel, kind, lengths, reverse)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True])
def test_reference_gradients_match_central_differences(kind, reverse):
    gradcheck(run_reference, kind, [2, 4, 3], reverse)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_kernel_gradients_without_bias_match_central_differences(kind):
    gradcheck(run_kernel, kind, [2, 4, 3], True, bias=False)


def take_sequence(case, n, length, flip):
    """Sequence n alone, truncated to `length` steps and optionally time-reversed."""
    x = case["x"][:length, n : n + 1]
    return {
        **case,
        "x": np.ascontiguousarray(x[::-1] if flip else x),
        "states": [s[n : n + 1].copy() for s in case["states"]],
    }


@pytest.mark.kernels
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True])
def test_lengths_equal_running_each_sequence_alone(kind, reverse):
    lengths = [5, 2, 4]
    case = make_case(kind, np.float64, steps=5, batch=3)
    outputs, backward = run_kernel(kind, case, lengths, reverse)
    d_outputs = output_grads(outputs)
    grads = backward(*d_outputs)
    for n, length in enumerate(lengths):
        alone = take_sequence(case, n, length, flip=False)
        alone_outputs, alone_backward = run_kernel(kind, alone, None, reverse)
        np.testing.assert_allclose(outputs[0][:length, n], alone_outputs[0][:, 0], atol=1e-14)
        np.testing.assert_array_equal(outputs[0][length:, n], 0.0)  # padded outputs are zero
        for state, alone_state in zip(outputs[1:], alone_outputs[1:]):
            np.testing.assert_allclose(state[n], alone_state[0], atol=1e-14)
        alone_d = [d_outputs[0][:length, n : n + 1].copy()] + [d[n : n + 1] for d in d_outputs[1:]]
        alone_grads = alone_backward(*alone_d)
        np.testing.assert_allclose(grads[0][:length, n], alone_grads[0][:, 0], atol=1e-13)
        np.testing.assert_array_equal(grads[0][length:, n], 0.0)  # padding gets no gradient
        for d_state, alone_d_state in zip(grads[1 : len(case["states"]) + 1], alone_grads[1:]):
            np.testing.assert_allclose(d_state[n], alone_d_state[0], atol=1e-13)


@pytest.mark.kernels
@pytest.mark.parametrize("kind", KINDS)
def test_reverse_equals_forward_over_flipped_sequence(kind):
    lengths = [5, 3]
    case = make_case(kind, np.float64, steps=5, batch=2)
    outputs, _ = run_kernel(kind, case, lengths, True)
    for n, length in enumerate(lengths):
        flipped = take_sequence(case, n, length, flip=True)
        forward_outputs, _ = run_kernel(kind, flipped, None, False)
        np.testing.assert_allclose(outputs[0][:length, n], forward_outputs[0][::-1, 0], atol=1e-14)
        np.testing.assert_allclose(outputs[1][n], forward_outputs[1][0], atol=1e-14)


@pytest.mark.kernels
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_single_step_kernels_reproduce_the_layer(kind, dtype):
    case = make_case(kind, dtype, steps=4, batch=2)
    outputs, _ = run_kernel(kind, case, None, False)
    w_hh_t = np.ascontiguousarray(case["w_hh"].T)
    states = [s.copy() for s in case["states"]]
    for t in range(case["x"].shape[0]):
        xg = case["x"][t] @ case["w_ih"].T + case["b_ih"]
        if kind == "lstm":
            states = list(lstm_step(xg + case["b_hh"], *states, w_hh_t))
        elif kind == "gru":
            states = [gru_step(xg, states[0], w_hh_t, case["b_hh"])]
        else:
            states = [rnn_step(xg + case["b_hh"], states[0], w_hh_t, kind == "rnn_relu")]
        tolerance = 1e-14 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(states[0], outputs[0][t], rtol=tolerance, atol=tolerance)
    for state, final in zip(states, outputs[1:]):
        np.testing.assert_allclose(state, final, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ([0, 2, 3], r"lengths must lie in \[1, 5\]"),
        ([6, 2, 3], r"lengths must lie in \[1, 5\]"),
        ([2, 3], r"one entry per sequence"),
    ],
)
def test_bad_lengths_are_a_clear_error(lengths, message):
    case = make_case("lstm", np.float64)
    with pytest.raises(ValueError, match=message):
        run_kernel("lstm", case, lengths, False)


def test_mixed_dtypes_are_a_clear_error():
    case = make_case("gru", np.float64)
    case["w_hh"] = case["w_hh"].astype(np.float32)
    with pytest.raises(ValueError, match="dtype"):
        run_kernel("gru", case, None, False)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_projected_loops_read_table_rows_at_ids(mode):
    # every kind takes a (R, G*H) table and ids; LSTM reads it in place, GRU/RNN gather it
    rng = np.random.default_rng(4)
    gates = {"lstm": 4, "gru": 3, "rnn_tanh": 1}[mode]
    steps, batch, hidden, rows = 4, 3, 5, 6
    table = rng.standard_normal((rows, gates * hidden))
    ids = rng.integers(0, rows, (steps, batch))
    h0, c0 = rng.standard_normal((2, batch, hidden))
    w_hh = 0.5 * rng.standard_normal((gates * hidden, hidden))
    b_hh = rng.standard_normal(gates * hidden) if mode == "gru" else None
    d_out = rng.standard_normal((steps, batch, hidden))
    d_hn, d_cn = rng.standard_normal((2, batch, hidden))
    c0 = c0 if mode == "lstm" else None
    d_cn = d_cn if mode == "lstm" else None
    lengths = np.array([4, 2, 3])
    read = ops.projected_forward(mode, table, h0, c0, w_hh, b_hh, lengths, True, ids=ids)
    plain = ops.projected_forward(mode, table[ids], h0, c0, w_hh, b_hh, lengths, True)
    for got, want in zip(read[:3], plain[:3]):  # out, h_n, c_n (None but for LSTM)
        np.testing.assert_allclose(*(np.zeros(0) if a is None else a for a in (got, want)),
                                   rtol=1e-13, atol=1e-13)
    d_table, *grads = ops.projected_backward(read[3], d_out, d_hn, d_cn)
    d_xg, *plain_grads = ops.projected_backward(plain[3], d_out, d_hn, d_cn)
    for got, want in zip(grads, plain_grads):
        if want is None:  # dc0 of GRU/RNN, db_hh but for GRU
            assert got is None
            continue
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    expected = np.zeros_like(table)
    np.add.at(expected, ids.reshape(-1), d_xg.reshape(-1, gates * hidden))
    np.testing.assert_allclose(d_table, expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(("ids", "message"), [
    (np.array([[0, 6]]), r"ids must lie in \[0, 6\)"),
    (np.array([[-1, 2]]), r"ids must lie in \[0, 6\)"),
    (np.array([0, 1]), r"ids must be \(T, N\)"),
])
def test_bad_table_ids_are_a_clear_error(ids, message):
    table, h0, w_hh = np.zeros((6, 4)), np.zeros((2, 1)), np.zeros((4, 1))
    with pytest.raises(ValueError, match=message):
        ops.projected_forward("lstm", table, h0, h0, w_hh, None, ids=ids)


@pytest.mark.parametrize("kind", KINDS)
def test_skipping_the_input_gradient_keeps_the_others(kind):
    case = make_case(kind, np.float64)
    outputs, saved, layer_backward = kernel_forward(kind, case, [5, 2, 4], False)
    d_outputs = output_grads(outputs)
    full = layer_backward(saved, *d_outputs)
    partial = layer_backward(saved, *d_outputs, need_input_grad=False)
    assert partial[0] is None
    assert_all_close(partial[1:], full[1:], rtol=0, atol=0)


def _jitted_matmul_into():
    from numba import njit

    from seqlab.autograd.kernels.recurrent_blas import matmul_into

    @njit(cache=False)
    def run(a, b, out, accumulate):
        matmul_into(a, b, out, accumulate)

    return run


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_transposed", [False, True])
@pytest.mark.parametrize("b_transposed", [False, True])
@pytest.mark.parametrize("accumulate", [False, True])
def test_strided_gemm_matches_numpy(dtype, a_transposed, b_transposed, accumulate):
    run = _jitted_matmul_into()
    rng = np.random.default_rng(1)
    rows, inner, cols = 5, 4, 3
    # a strided-row slice of a 3-D array, as the time loops pass one step of (G, T, N)
    if a_transposed:
        a = rng.standard_normal((inner, 2, rows))[:, 1, :].T
    else:
        a = rng.standard_normal((rows, 3, inner))[:, 2, :]
    b = rng.standard_normal((cols, inner)).T if b_transposed else rng.standard_normal((inner, cols))
    a, b = a.astype(dtype), b.astype(dtype)
    holder = rng.standard_normal((rows, 2, cols)).astype(dtype)
    out = holder[:, 0, :]
    expected = out + a @ b if accumulate else a @ b
    untouched = holder[:, 1, :].copy()
    run(a, b, out, accumulate)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_array_equal(holder[:, 1, :], untouched)


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(512, 128), (7, 3), (1, 9), (40, 1)])
def test_transposed_is_a_contiguous_copy_of_the_transpose(dtype, shape):
    matrix = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    for source in (matrix, np.asfortranarray(matrix), matrix[:, ::-1]):
        got = transposed(source)
        assert got.flags.c_contiguous and got.dtype == dtype
        np.testing.assert_array_equal(got, source.T)
