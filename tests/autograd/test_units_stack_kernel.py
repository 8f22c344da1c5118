"""The inference stack split by hidden units (`recurrent_units_stack`) equals its NumPy
reference, and that reference the one-layer references of the other kernels, for LSTM, GRU
and both RNNs, on one part and on a team of two (tiny sizes: CI also runs these with
NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from seqlab.autograd import threads
from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.generation import GRU, LSTM, RNN_RELU, RNN_TANH
from seqlab.autograd.kernels.recurrent_units_stack import (
    GATES,
    dot_rows_into,
    units_stack_part,
    units_stack_reference,
)

pytestmark = pytest.mark.kernels
CELLS = [LSTM, GRU, RNN_TANH, RNN_RELU]


def _case(cell, dtype, layers=2, steps=5, batch=2, features=3, hidden=20, rows=4, seed=0):
    rng = np.random.default_rng(seed)
    gates = GATES[cell] * hidden

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    return {
        "cell": cell,
        "x0": draw(rows, features, scale=1.0),
        "row_of": rng.integers(0, rows, (steps, batch)),
        "w_ih": tuple(draw(gates, features if layer == 0 else hidden) for layer in range(layers)),
        "w_hh": tuple(draw(gates, hidden) for _ in range(layers)),
        "b_ih": tuple(draw(gates) for _ in range(layers)),
        "b_hh": tuple(draw(gates) for _ in range(layers)),
        "lengths": np.full(batch, steps, np.int64),
        "h0": draw(layers, batch, hidden),
        "c0": draw(layers, batch, hidden) if cell == LSTM else None,
    }


def _run(case, parts, split=None, kept=None, table0_ready=False):
    """The kernel as a team of `parts` (`threads.run_team`) giving the bits of a team of
    `split` (default `parts`): top layer's out, h_n, c_n; `kept` (table0, kept_x, kept_w,
    kept_b) and `table0_ready` as the kernel takes them (default: no table kept)."""
    cell = case["cell"]
    layers, batch, hidden = case["h0"].shape
    steps = case["row_of"].shape[0]
    dtype = case["x0"].dtype
    if cell == GRU:  # b_hr, b_hz in the projection; b_hn in the loop
        bias = tuple(b_i + np.concatenate([b_h[:2 * hidden], 0 * b_h[2 * hidden:]])
                     for b_i, b_h in zip(case["b_ih"], case["b_hh"]))
        hh_bias = case["b_hh"]
    else:
        bias = tuple(b_i + b_h for b_i, b_h in zip(case["b_ih"], case["b_hh"]))
        hh_bias = tuple(np.zeros_like(b) for b in bias)
    h_shared = np.full((2, batch, hidden), np.nan, dtype)
    outs = np.full((layers, steps, batch, hidden), np.nan, dtype)
    h_n = np.full_like(case["h0"], np.nan)
    lstm = cell == LSTM
    c0 = case["c0"] if lstm else np.empty((0, 0, 0), dtype)
    c_n = np.full_like(c0, np.nan)
    if kept is None:
        kept = (np.empty(0, dtype), np.empty((0, 0, 0), dtype), np.empty((0, 0), dtype),
                np.empty(0, dtype))

    def run_part(part, parts, flags):
        units_stack_part(cell, case["x0"], case["row_of"], case["w_ih"], case["w_hh"], bias,
                         hh_bias, case["lengths"], case["h0"], c0, h_shared, outs, h_n, c_n,
                         part, parts, flags, parts if split is None else split, *kept,
                         table0_ready)

    threads.run_team(parts, run_part)
    return outs[-1], h_n, (c_n if lstm else None)


def _reference(case):
    return units_stack_reference(case["cell"], case["x0"], case["row_of"], case["w_ih"],
                                 case["w_hh"], case["b_ih"], case["b_hh"], case["lengths"],
                                 case["h0"], case["c0"])


def _assert_close(got, want, tolerance):
    for got_array, want_array in zip(got, want):
        if want_array is None:
            assert got_array is None
            continue
        assert got_array.dtype == want_array.dtype or tolerance > 1e-9
        np.testing.assert_allclose(got_array, want_array, rtol=tolerance, atol=tolerance)


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


@pytest.mark.parametrize("cell", CELLS)
def test_reference_equals_the_layer_references_layer_by_layer(cell):
    case = _case(cell, np.float64, layers=2, hidden=5)
    case["lengths"] = np.array([5, 3], np.int64)
    out, h_n, c_n = _reference(case)
    layer_input = case["x0"][case["row_of"]]
    for layer in range(2):
        weights = (case["w_ih"][layer], case["w_hh"][layer], case["b_ih"][layer],
                   case["b_hh"][layer], case["lengths"], False)
        if cell == LSTM:
            layer_input, h, c = reference.lstm_reference(
                layer_input, case["h0"][layer], case["c0"][layer], *weights)[:3]
            np.testing.assert_allclose(c_n[layer], c, rtol=1e-12, atol=1e-12)
        elif cell == GRU:
            layer_input, h = reference.gru_reference(layer_input, case["h0"][layer],
                                                     *weights)[:2]
        else:
            layer_input, h = reference.rnn_reference(
                layer_input, case["h0"][layer], *weights,
                nonlinearity="relu" if cell == RNN_RELU else "tanh")[:2]
        np.testing.assert_allclose(h_n[layer], h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, layer_input, rtol=1e-12, atol=1e-12)
    assert (c_n is None) == (cell != LSTM)


# hidden 20 on two parts: units [0, 16) and [16, 20) (four rows of each gate: the remainder)
@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("layers", "batch", "hidden"), [(1, 1, 20), (3, 3, 36)])
def test_float64_equals_the_reference(parts, cell, layers, batch, hidden):
    case = _case(cell, np.float64, layers=layers, batch=batch, hidden=hidden)
    _assert_close(_run(case, parts), _reference(case), 1e-12)


@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_lengths_keep_the_state_and_output_zeros(parts, cell):
    case = _case(cell, np.float64, layers=2, batch=3, steps=6)
    case["lengths"] = np.array([6, 1, 4], np.int64)
    got = _run(case, parts)
    _assert_close(got, _reference(case), 1e-12)
    np.testing.assert_array_equal(got[0][1:, 1], 0)
    np.testing.assert_array_equal(got[0][4:, 2], 0)


@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_float32_equals_the_float64_reference_to_round_off(parts, cell):
    case = _case(cell, np.float32, layers=2, batch=1, steps=8, features=16, hidden=40)
    got = _run(case, parts)
    wide = {key: (tuple(v.astype(np.float64) for v in value) if isinstance(value, tuple)
                  else value.astype(np.float64)
                  if isinstance(value, np.ndarray) and value.dtype == np.float32 else value)
            for key, value in case.items()}
    for got_array in got:
        assert got_array is None or got_array.dtype == np.float32
    # ReLU's outputs grow unbounded over the layers (to ~10 here): so does float32 round-off
    _assert_close(got, _reference(wide), 2e-4 if cell == RNN_RELU else 2e-5)


@pytest.mark.parametrize("team", [2, 3])
@pytest.mark.parametrize("cell", CELLS)
def test_one_part_gives_a_teams_bits_when_split_as_it(team, cell):
    """A paused team's call (one part, `split` the team's size) must give the team's bits
    exactly, whatever the machine's load: BLAS's projection GEMMs differ at round-off with
    their width (one part's whole-layer GEMM did, at H = 64 and 128), so one part runs them
    in the team's blocks."""
    case = _case(cell, np.float32, layers=2, batch=1, steps=12, features=24, hidden=64)
    want = _run(case, team)
    for got_array, want_array in zip(_run(case, 1, split=team), want):
        if want_array is None:
            assert got_array is None
        else:
            np.testing.assert_array_equal(got_array, want_array)


def _kept(case, parts):
    """Room for the layer-0 table and its copies, as `recurrent_units_team` makes it."""
    rows, features = case["x0"].shape
    w_ih = case["w_ih"][0]
    dtype = case["x0"].dtype
    return (np.full(rows * w_ih.shape[0], np.nan, dtype), np.empty((parts, rows, features), dtype),
            np.empty(w_ih.shape, dtype), np.empty(w_ih.shape[0], dtype))


def _assert_bits(got, want):
    for got_array, want_array in zip(got, want):
        if want_array is not None:
            np.testing.assert_array_equal(got_array, want_array)


@pytest.mark.parametrize(("parts", "split"), [(1, 1), (2, 2), (1, 2)])
@pytest.mark.parametrize("cell", CELLS)
def test_a_kept_layer0_table_gives_the_same_bits_and_is_read_when_ready(cell, parts, split):
    """A call filling `table0` gives the bits of a call without it; a call with it ready gives
    them again; and a ready table whose sources are unchanged is what layer 0 reads."""
    case = _case(cell, np.float32, layers=2, batch=1, hidden=20)
    want = _run(case, parts, split)
    kept = _kept(case, parts)
    filled = _run(case, parts, split, kept)
    assert not np.isnan(kept[0]).any()
    _assert_bits(filled, want)
    _assert_bits(_run(case, parts, split, kept, True), want)
    kept[0][:] *= 2  # (its sources unchanged: the block is read as it is)
    assert not np.array_equal(_run(case, parts, split, kept, True)[0], want[0])


@pytest.mark.parametrize("changed", ["x0", "w_ih row of part 1", "bias row of part 0",
                                     "negative zero"])
@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_a_kept_table_whose_sources_changed_is_projected_again(cell, changed):
    """Each part checks the bits its block came from: any change (a row of x0, one unit's
    weight or bias row, a sign of zero) gives the bits of a call with nothing kept."""
    parts = 2
    case = _case(cell, np.float32, layers=2, batch=1, hidden=20)
    kept = _kept(case, parts)
    _run(case, parts, None, kept)
    gates = GATES[cell]
    if changed == "x0":
        case["x0"] = case["x0"].copy()
        case["x0"][1, 2] += 1.0
    elif changed == "w_ih row of part 1":  # units [16, 20) are part 1's
        w_ih = [w.copy() for w in case["w_ih"]]
        w_ih[0][(gates - 1) * 20 + 17, 0] += 1.0
        case["w_ih"] = tuple(w_ih)
    elif changed == "bias row of part 0":
        b_ih = [b.copy() for b in case["b_ih"]]
        b_ih[0][3] += 1.0
        case["b_ih"] = tuple(b_ih)
    else:
        case["x0"] = case["x0"].copy()
        case["x0"][0, 0] = 0.0
        kept = _kept(case, parts)
        _run(case, parts, None, kept)
        case["x0"] = case["x0"].copy()
        case["x0"][0, 0] = -0.0
    want = _run(case, parts)
    _assert_bits(_run(case, parts, None, kept, True), want)
    _assert_bits(_run(case, parts, None, kept, True), want)  # and kept again after
