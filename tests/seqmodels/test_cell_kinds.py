"""The cell-kind table: every kind's generation step kernel equals its composed cell, its gate
count matches the stack it builds, and cell names resolve as models spell them."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.seqmodels.cell_kinds import CELL_KINDS, CELLS, cell_kind
from seqlab.seqmodels.recurrent import build_stack


@pytest.mark.parametrize("name", sorted(CELL_KINDS))
def test_step_kernel_equals_the_composed_cell(name):
    kind = CELL_KINDS[name]
    rng = np.random.default_rng(0)
    batch, features, hidden = 3, 4, 5
    x, h, c = (rng.standard_normal((batch, size)) for size in (features, hidden, hidden))
    w_ih = 0.5 * rng.standard_normal((kind.gates * hidden, features))
    w_hh = 0.5 * rng.standard_normal((kind.gates * hidden, hidden))
    b_ih, b_hh = rng.standard_normal((2, kind.gates * hidden))
    want_h, want_c = kind.cell(*(Tensor(a) for a in (x, h, c, w_ih, w_hh, b_ih, b_hh)))
    xg = x @ w_ih.T + kind.projection_bias(b_ih, b_hh)
    got_h, got_c = kind.step(xg, h, c if kind.has_cell_state else None,
                             np.ascontiguousarray(w_hh.T), b_hh)
    np.testing.assert_allclose(got_h, want_h.data, rtol=1e-12, atol=1e-12)
    assert (got_c is None) == (want_c is None) == (not kind.has_cell_state)
    if kind.has_cell_state:
        np.testing.assert_allclose(got_c, want_c.data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_cell_names_build_the_stack_of_their_kind(cell):
    stack = build_stack(cell, 3, 4)
    assert stack.kind is cell_kind(cell) and stack.mode == stack.kind.name
    assert stack.weight_hh_l0.shape == (stack.kind.gates * 4, 4)
    assert cell_kind(stack.mode) is stack.kind


def test_unknown_cell_is_a_clear_error():
    with pytest.raises(ValueError, match="cell must be one of lstm, gru, rnn, rnn_relu"):
        cell_kind("transformer")


@pytest.mark.parametrize("name", sorted(CELL_KINDS))
def test_saved_h_prev_is_where_the_loop_keeps_the_previous_hidden_state(name):
    kind = CELL_KINDS[name]
    rng = np.random.default_rng(1)
    steps, batch, hidden = 4, 3, 5
    xg = rng.standard_normal((steps, batch, kind.gates * hidden))
    h0 = rng.standard_normal((batch, hidden))
    c0 = rng.standard_normal((batch, hidden)) if kind.has_cell_state else None
    w_hh = 0.5 * rng.standard_normal((kind.gates * hidden, hidden))
    b_hh = rng.standard_normal(kind.gates * hidden)
    lengths = np.full(batch, steps, np.int64)
    lengths[-1] = steps - 1  # (reverse with a padded row: an LSTM loop then keeps h_prev)
    out, _, _, activations = kind.loop_forward(xg, h0, c0, w_hh, b_hh, lengths, True, None,
                                               True)
    h_prev = activations[kind.saved_h_prev]
    full = slice(0, batch - 1)  # the rows T long: step t (backward in time) reads out[t + 1]
    np.testing.assert_array_equal(h_prev[steps - 1, full], h0[full])
    np.testing.assert_array_equal(h_prev[:steps - 1, full], out[1:, full])


def test_the_kernel_codes_name_each_kind():
    codes = {name: (kind.generation_code, kind.stacked_code) for name, kind in CELL_KINDS.items()}
    assert len({generation for generation, _ in codes.values()}) == len(CELL_KINDS)
    stacked = [code for _, code in codes.values() if code is not None]
    assert len(set(stacked)) == len(stacked) and codes["gru"][1] is None
    assert [name for name, kind in CELL_KINDS.items() if kind.relu] == ["rnn_relu"]


@pytest.mark.parametrize("batch", [1, 8, 16, 32, 64])
@pytest.mark.parametrize("hidden", [32, 128, 512])
def test_lstm_rows_parts_is_where_the_training_loop_splits_by_sequence(batch, hidden,
                                                                         monkeypatch):
    from seqlab.autograd.kernels.row_blocks import rows_split_pays
    from seqlab.seqmodels import recurrent_loops

    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)
    w_hh = np.zeros((4 * hidden, hidden), np.float32)
    got = CELL_KINDS["lstm"].rows_parts(64, batch, w_hh)
    for threshold in (0, recurrent_loops.MIN_UNITS_FORWARD_STEP_MACS, 1 << 62):
        parts = recurrent_loops.lstm_loop_parts(batch, hidden, threshold)
        assert got == (parts if rows_split_pays(batch, parts) else 1)
