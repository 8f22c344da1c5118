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
