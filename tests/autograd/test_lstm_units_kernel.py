"""The inference LSTM stack split by hidden units (`recurrent_lstm_units`) equals its NumPy
reference and the one-layer reference of the other kernels, on one part and on a team of two
(tiny sizes: CI also runs these with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from seqlab.autograd import threads
from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.recurrent_lstm_units import (
    dot_rows_into,
    lstm_units_stack_part,
    lstm_units_stack_reference,
)

pytestmark = pytest.mark.kernels


def _case(dtype, layers=2, steps=5, batch=2, features=3, hidden=20, rows=4, seed=0):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    return {
        "x0": draw(rows, features, scale=1.0),
        "row_of": rng.integers(0, rows, (steps, batch)),
        "w_ih": tuple(draw(4 * hidden, features if layer == 0 else hidden)
                      for layer in range(layers)),
        "w_hh": tuple(draw(4 * hidden, hidden) for _ in range(layers)),
        "bias": tuple(draw(4 * hidden) for _ in range(layers)),
        "lengths": np.full(batch, steps, np.int64),
        "h0": draw(layers, batch, hidden),
        "c0": draw(layers, batch, hidden),
    }


def _run(case, parts):
    """The kernel as a team of `parts` (`threads.run_team`): top layer's out, h_n, c_n."""
    layers, batch, hidden = case["h0"].shape
    steps = case["row_of"].shape[0]
    dtype = case["x0"].dtype
    h_shared = np.full((2, batch, hidden), np.nan, dtype)
    outs = np.full((layers, steps, batch, hidden), np.nan, dtype)
    h_n, c_n = np.full_like(case["h0"], np.nan), np.full_like(case["c0"], np.nan)

    def run_part(part, parts, flags):
        lstm_units_stack_part(case["x0"], case["row_of"], case["w_ih"], case["w_hh"],
                              case["bias"], case["lengths"], case["h0"], case["c0"], h_shared,
                              outs, h_n, c_n, part, parts, flags)

    threads.run_team(parts, run_part)
    return outs[-1], h_n, c_n


def _reference(case):
    return lstm_units_stack_reference(case["x0"], case["row_of"], case["w_ih"], case["w_hh"],
                                      case["bias"], case["lengths"], case["h0"], case["c0"])


@pytest.mark.parametrize("count", [1, 4, 7])  # the remainder rows alone, four-row blocks, both
def test_dot_rows_equal_numpy(count):
    rng = np.random.default_rng(count)
    w = rng.standard_normal((10, 9))
    h = rng.standard_normal(9)
    start = rng.standard_normal(12)
    out = np.full(12, np.nan)
    dot_rows_into(w, 2, count, h, start, out, 3)
    np.testing.assert_allclose(out[3:3 + count], start[3:3 + count] + w[2:2 + count] @ h,
                               rtol=1e-12, atol=1e-12)
    assert np.isnan(out[:3]).all() and np.isnan(out[3 + count:]).all()


def test_reference_equals_the_layer_reference_layer_by_layer():
    case = _case(np.float64, layers=2, hidden=5)
    case["lengths"] = np.array([5, 3], np.int64)
    out, h_n, c_n = _reference(case)
    layer_input = case["x0"][case["row_of"]]
    for layer in range(2):
        b_ih = case["bias"][layer]
        layer_input, h, c = reference.lstm_reference(
            layer_input, case["h0"][layer], case["c0"][layer], case["w_ih"][layer],
            case["w_hh"][layer], b_ih, np.zeros_like(b_ih), case["lengths"], False)[:3]
        np.testing.assert_allclose(h_n[layer], h, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c_n[layer], c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, layer_input, rtol=1e-12, atol=1e-12)


# hidden 20 on two parts: units [0, 16) and [16, 20) (four rows of each gate: the remainder)
@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize(("layers", "batch", "hidden"), [(1, 1, 20), (2, 3, 20), (3, 2, 36)])
def test_float64_equals_the_reference(parts, layers, batch, hidden):
    case = _case(np.float64, layers=layers, batch=batch, hidden=hidden)
    for got, want in zip(_run(case, parts), _reference(case)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("parts", [1, 2])
def test_lengths_keep_the_state_and_output_zeros(parts):
    case = _case(np.float64, layers=2, batch=3, steps=6)
    case["lengths"] = np.array([6, 1, 4], np.int64)
    got = _run(case, parts)
    for got_array, want_array in zip(got, _reference(case)):
        np.testing.assert_allclose(got_array, want_array, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got[0][1:, 1], 0)
    np.testing.assert_array_equal(got[0][4:, 2], 0)


@pytest.mark.parametrize("parts", [1, 2])
def test_float32_equals_the_float64_reference_to_round_off(parts):
    case = _case(np.float32, layers=2, batch=1, steps=8, features=16, hidden=40)
    got = _run(case, parts)
    wide = {key: (tuple(v.astype(np.float64) for v in value) if isinstance(value, tuple)
                  else value.astype(np.float64) if value.dtype == np.float32 else value)
            for key, value in case.items()}
    for got_array, want_array in zip(got, _reference(wide)):
        assert got_array.dtype == np.float32
        np.testing.assert_allclose(got_array, want_array, rtol=2e-5, atol=2e-6)
