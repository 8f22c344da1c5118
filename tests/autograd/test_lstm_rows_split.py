"""kernels.recurrent_lstm_rows: the LSTM training loops as a team split by sequence, against
the NumPy reference layer (float64), alone and crossed with the unit-split team (either
backward runs after either forward), with lengths, reverse, uneven row blocks and a table."""

import itertools

import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import FMA, ROWS
from seqlab.autograd.kernels.recurrent_lstm_rows import (
    MIN_ROWS_PER_PART,
    row_block,
    rows_split_pays,
)
from seqlab.seqmodels import recurrent_loops, recurrent_ops

pytestmark = pytest.mark.kernels


def _case(hidden, batch, steps, features, seed):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return scale * rng.standard_normal(shape)

    width = 4 * hidden
    return (draw(steps, batch, features), draw(batch, hidden), draw(batch, hidden),
            draw(width, features), draw(width, hidden, scale=1 / np.sqrt(hidden)), draw(width),
            draw(width))


@pytest.mark.parametrize("batch, parts", [(16, 2), (21, 2), (40, 3), (8, 1)])
def test_row_blocks_tile_the_batch(batch, parts):
    blocks = [row_block(batch, part, parts) for part in range(parts)]
    assert blocks[0][0] == 0 and blocks[-1][1] == batch
    for (_, stop), (start, _) in itertools.pairwise(blocks):
        assert stop == start and start % ROWS == 0
    assert all(stop > start for start, stop in blocks)


def test_rows_split_needs_several_parts_and_rows_enough():
    assert not rows_split_pays(64, 1)
    assert rows_split_pays(MIN_ROWS_PER_PART * 2, 2) == FMA
    assert not rows_split_pays(MIN_ROWS_PER_PART * 2 - 1, 2)


@pytest.mark.skipif(not FMA, reason="the split by sequence needs panels (FMA)")
@pytest.mark.parametrize("hidden", [5, 24, 72])
@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("lengths_kind,reverse", [("full", False), ("lengths", True),
                                                  ("full", True), ("lengths", False)])
@pytest.mark.parametrize("cross", [None, "forward", "backward"])
def test_lstm_layer_split_by_sequence_equals_the_reference(hidden, parts, lengths_kind, reverse,
                                                            cross, monkeypatch):
    """`cross` runs one direction of the pass on the unit-split team instead."""
    steps, batch = 4, 8 * parts + 3
    assert rows_split_pays(batch, parts)
    rng = np.random.default_rng(hidden * parts)
    lengths = None if lengths_kind == "full" else rng.integers(1, steps + 1, batch)
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _case(hidden, batch, steps, 3, seed=hidden + parts)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: parts)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)  # small teams
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_BACKWARD_STEP_MACS", 0)
    if cross == "forward":
        monkeypatch.setattr(recurrent_loops, "rows_split_pays", lambda *_: False)
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                            lengths, reverse=reverse)
    monkeypatch.setattr(recurrent_loops, "rows_split_pays",
                        (lambda *_: False) if cross == "backward" else rows_split_pays)
    full = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    expected_out, expected_h, expected_c, expected_backward = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, full, reverse)
    for actual, expected in ((out, expected_out), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.skipif(not FMA, reason="the split by sequence needs panels (FMA)")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_table_read_split_by_sequence_equals_the_gathered_rows(dtype, monkeypatch):
    """Layer 0 reading a (V, 4H) table at ids: outputs and the table's gradient equal the
    same loop over the gathered rows (whose gradient is scattered into the table by NumPy)."""
    steps, batch, hidden, vocab = 5, 19, 40, 7
    rng = np.random.default_rng(11)
    table = (0.5 * rng.standard_normal((vocab, 4 * hidden))).astype(dtype)
    ids = rng.integers(0, vocab, (steps, batch))
    h0, c0 = (0.5 * rng.standard_normal((2, batch, hidden))).astype(dtype)
    w_hh = (rng.standard_normal((4 * hidden, hidden)) / np.sqrt(hidden)).astype(dtype)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)  # small teams
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_BACKWARD_STEP_MACS", 0)
    by_table = recurrent_ops.projected_forward("lstm", table, h0, c0, w_hh, None, ids=ids)
    monkeypatch.setattr(recurrent_loops, "rows_split_pays", lambda *_: False)
    gathered = recurrent_ops.projected_forward("lstm", table[ids], h0, c0, w_hh, None)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for actual, expected in zip(by_table[:3], gathered[:3], strict=True):
        np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)
    d_out = rng.standard_normal(by_table[0].shape).astype(dtype)
    d_hn, d_cn = rng.standard_normal((2, batch, hidden)).astype(dtype)
    monkeypatch.setattr(recurrent_loops, "rows_split_pays", rows_split_pays)
    d_table, *rest = recurrent_ops.projected_backward(by_table[3], d_out, d_hn, d_cn)
    monkeypatch.setattr(recurrent_loops, "rows_split_pays", lambda *_: False)
    d_rows, *expected_rest = recurrent_ops.projected_backward(gathered[3], d_out, d_hn, d_cn)
    expected_table = np.zeros_like(table)
    np.add.at(expected_table, ids.reshape(-1), d_rows.reshape(-1, 4 * hidden))
    np.testing.assert_allclose(d_table, expected_table, rtol=tolerance, atol=tolerance)
    for actual, expected in zip(rest, expected_rest, strict=True):
        if expected is not None:
            np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)
