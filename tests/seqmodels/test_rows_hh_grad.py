"""seqmodels.rows_hh_grad: an LSTM backward loop split by sequence forms dW_hh inside its own
team (each part lays out its share of the shifted h_prev rows, one meet, its block of rows)
with the bits of the product formed after the team (`recurrent_weight_grad`, split by
`threads.matmul`), and every other gradient unchanged; float64 dW_hh equals the plain sum
over steps. Cases: h_prev from the outputs shifted a step (forward and reverse), h_prev saved
(reverse with lengths), the loop reading a table at ids (layer 0 of an Embedding-fed stack), a
batch that is not a multiple of the tiles' rows; below the split's size the team leaves dW_hh
to the old path.
"""

import numba
import numpy as np
import pytest

from seqlab.autograd import threads
from seqlab.seqmodels import recurrent_loops, rows_hh_grad

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT,
                                reason="a split by sequence takes the jitted panels only")
HIDDEN, STEPS = 128, 64
CASES = {
    "shifted": {},
    "shifted-reverse": {"reverse": True},
    "shifted-lengths": {"lengths": True},
    "saved-h-prev": {"lengths": True, "reverse": True},
    "table": {"table": 65},
    "table-reverse-batch-30": {"table": 65, "reverse": True, "batch": 30},
}


@pytest.fixture
def two_cores(two_threads, monkeypatch):
    """Two threads wherever the test runs: the old path's split (`threads.matmul`) and the
    team's rule both count the cores."""
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)


def _loop(dtype, batch=32, lengths=False, reverse=False, table=0, seed=0):
    rng = np.random.default_rng(seed)
    gates = 4 * HIDDEN

    def draw(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    ids = rng.integers(0, table, (STEPS, batch)) if table else None
    xg = draw(table, gates) if table else draw(STEPS, batch, gates)
    steps_each = rng.integers(1, STEPS + 1, batch) if lengths else np.full(batch, STEPS)
    steps_each[0] = STEPS
    return {"xg": xg, "h0": draw(batch, HIDDEN), "c0": draw(batch, HIDDEN),
            "w_hh": draw(gates, HIDDEN, scale=HIDDEN ** -0.5),
            "lengths": steps_each.astype(np.int64), "reverse": reverse, "ids": ids,
            "table_rows": table, "d_out": draw(STEPS, batch, HIDDEN, scale=1.0),
            "d_hn": draw(batch, HIDDEN), "d_cn": draw(batch, HIDDEN)}


def _backward(loop):
    _, _, _, *activations = recurrent_loops.lstm_team_forward(
        loop["xg"], loop["h0"], loop["c0"], loop["w_hh"], loop["lengths"], loop["reverse"], 2,
        loop["ids"], True)
    grads = recurrent_loops._lstm_rows_backward(
        tuple(activations), loop["w_hh"], loop["lengths"], loop["reverse"], loop["d_out"],
        loop["d_hn"], loop["d_cn"], 2, loop["ids"], loop["table_rows"], False)
    return [None if g is None else g.copy() for g in grads], activations


def _in_team_calls(monkeypatch) -> list:
    """Records each call of `hh_grad_in_team` that took the team's product."""
    taken = []
    original = rows_hh_grad.hh_grad_in_team

    def spy(*args):
        found = original(*args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(recurrent_loops, "hh_grad_in_team", spy)
    return taken


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_the_team_gives_the_bits_of_the_product_after_it(case, dtype, two_cores, monkeypatch):
    loop = _loop(dtype, **CASES[case])
    with monkeypatch.context() as patch:
        patch.setattr(recurrent_loops, "hh_grad_in_team", lambda *args: None)
        expected, _ = _backward(loop)
    taken = _in_team_calls(monkeypatch)
    got, activations = _backward(loop)
    assert taken == [True]
    saved = CASES[case].get("lengths", False) and CASES[case].get("reverse", False)
    assert (activations[3] is None) == (not saved)  # (reverse with lengths saves h_prev)
    for grad, old in zip(got, expected, strict=True):
        if old is None:
            assert grad is None
        else:
            assert grad.dtype == dtype
            np.testing.assert_array_equal(grad, old)


@pytest.mark.parametrize("case", ["shifted-reverse", "saved-h-prev", "table"])
def test_float64_dw_hh_is_the_sum_over_steps(case, two_cores):
    loop = _loop(np.float64, **CASES[case])
    out, _, _, *activations = recurrent_loops.lstm_team_forward(
        loop["xg"], loop["h0"], loop["c0"], loop["w_hh"], loop["lengths"], loop["reverse"], 2,
        loop["ids"], True)
    h_prev = activations[3]
    if h_prev is None:  # every sequence ran every step: the outputs shifted a step
        later = out[1:] if loop["reverse"] else out[:-1]
        h0 = loop["h0"][None]
        h_prev = np.concatenate([later, h0] if loop["reverse"] else [h0, later])
    d_xg, *_ = grads = recurrent_loops._lstm_rows_backward(
        tuple(activations), loop["w_hh"], loop["lengths"], loop["reverse"], loop["d_out"],
        loop["d_hn"], loop["d_cn"], 2, loop["ids"], loop["table_rows"], False)
    np.testing.assert_allclose(grads[3], np.einsum("tng,tnh->gh", d_xg, h_prev),
                               rtol=1e-12, atol=1e-12)


def test_below_the_split_size_dw_hh_is_left_to_the_old_path(two_cores, monkeypatch):
    taken = _in_team_calls(monkeypatch)
    loop = _loop(np.float32, batch=16)
    loop["d_out"] = loop["d_out"][:8]
    loop["lengths"] = np.full(16, 8, np.int64)
    loop["xg"] = loop["xg"][:8]  # 8 x 16 rows x 512 x 128: under MIN_SPLIT_WEIGHT_GRAD_MACS
    grads, _ = _backward(loop)
    assert taken == [False]
    assert grads[3].shape == (4 * HIDDEN, HIDDEN)


def test_one_part_leaves_dw_hh_to_the_old_path():
    gates = np.zeros((STEPS, 32, 4 * HIDDEN), np.float32)
    out = np.zeros((STEPS, 32, HIDDEN), np.float32)
    activations = (gates, gates, gates, None, out, out[0])
    assert rows_hh_grad.hh_grad_in_team(activations, False, 1) is None
