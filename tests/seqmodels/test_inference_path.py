"""The forward without a graph (inference): its own GEMM orientation for few rows, no saved
activations; outputs equal the graph path's to round-off for every cell kind."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN
from seqlab.seqmodels.recurrent_ops import FEW_ROWS, project_rows

STACKS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 7, FEW_ROWS, FEW_ROWS + 1])
def test_project_rows_equals_numpy(rows, dtype):
    """Both orientations (up to FEW_ROWS transposed, above one GEMM), with and without bias."""
    rng = np.random.default_rng(rows)
    x = rng.standard_normal((rows, 13)).astype(dtype)
    w = rng.standard_normal((24, 13)).astype(dtype)
    bias = rng.standard_normal(24).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for b in (bias, None):
        got = project_rows(x, w, b)
        want = x.astype(np.float64) @ w.T.astype(np.float64) + (0 if b is None else b)
        assert got.dtype == dtype and got.shape == (rows, 24) and got.flags.c_contiguous
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("kind", sorted(STACKS))
@pytest.mark.parametrize("batch, bidirectional", [(1, False), (3, True), (40, False)])
def test_no_grad_outputs_equal_the_graph_paths(kind, batch, bidirectional):
    """Batch 1 and 3 take the few-rows orientation in every layer; batch 40 over 6 steps
    (240 rows) the one GEMM; the graph path is the reference (float64, round-off)."""
    stack = STACKS[kind](5, 8, num_layers=2, bidirectional=bidirectional, dtype=np.float64,
                         generator=0)
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((6, batch, 5)), requires_grad=True)
    directions = 2 if bidirectional else 1
    h0 = Tensor(rng.standard_normal((2 * directions, batch, 8)))
    state = (h0, Tensor(rng.standard_normal(h0.shape))) if kind == "lstm" else h0
    want_out, want_state = stack(x, state)
    with no_grad():
        got_out, got_state = stack(x, state)
    assert not got_out.requires_grad
    pairs = [(got_out, want_out)]
    if kind == "lstm":
        pairs += list(zip(got_state, want_state))
    else:
        pairs.append((got_state, want_state))
    for got, want in pairs:
        np.testing.assert_allclose(got.data, want.data, rtol=1e-12, atol=1e-12)
