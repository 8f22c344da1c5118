"""The LSTM backward loops writing their gate gradients over the saved gates (`reuse_saved`):
the same bits as into an array of their own, for both teams (split by unit and by sequence),
lengths, reverse and a table read; and never when the graph is retained."""

from typing import ClassVar

import numpy as np
import pytest

from seqlab.autograd import Function, Tensor
from seqlab.autograd.grad_mode import is_graph_retained
from seqlab.autograd.kernels.panel_gemm import FMA
from seqlab.autograd.kernels.recurrent_lstm_rows import rows_split_pays
from seqlab.seqmodels import LSTM, LanguageModel, recurrent_loops, recurrent_ops

pytestmark = pytest.mark.kernels


def _weights(rng, hidden, dtype):
    return (rng.standard_normal((4 * hidden, hidden)) / np.sqrt(hidden)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("parts, split", [(1, "units"), (2, "units"), (2, "rows")])
@pytest.mark.parametrize("lengths_kind, reverse", [("full", False), ("lengths", True),
                                                   ("lengths", False)])
@pytest.mark.parametrize("table", [False, True])
def test_backward_over_the_saved_gates_equals_backward_into_its_own_array(
        dtype, parts, split, lengths_kind, reverse, table, monkeypatch):
    if split == "rows" and not FMA:
        pytest.skip("the split by sequence needs panels (FMA)")
    steps, batch, hidden, vocab = 5, 19, 24, 7
    rng = np.random.default_rng(parts + 3 * reverse)
    lengths = None if lengths_kind == "full" else rng.integers(1, steps + 1, batch)
    ids = rng.integers(0, vocab, (steps, batch)) if table else None
    xg = (0.5 * rng.standard_normal((vocab, 4 * hidden) if table
                                    else (steps, batch, 4 * hidden))).astype(dtype)
    h0, c0 = (0.5 * rng.standard_normal((2, batch, hidden))).astype(dtype)
    w_hh = _weights(rng, hidden, dtype)
    d_out = rng.standard_normal((steps, batch, hidden)).astype(dtype)
    d_hn, d_cn = rng.standard_normal((2, batch, hidden)).astype(dtype)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: parts)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)  # small teams
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_BACKWARD_STEP_MACS", 0)
    if split == "units":
        monkeypatch.setattr(recurrent_loops, "rows_split_pays", lambda *_: False)
    else:
        assert rows_split_pays(batch, parts)
    results = {}
    for reuse in (False, True):
        saved = recurrent_ops.projected_forward("lstm", xg, h0, c0, w_hh, None, lengths,
                                                reverse, ids)[3]
        gates_before = saved.activations[0].copy()
        results[reuse] = recurrent_ops.projected_backward(saved, d_out, d_hn, d_cn,
                                                          reuse_saved=reuse)
        overwritten = not np.array_equal(saved.activations[0], gates_before)
        assert overwritten == reuse  # the in-place path ran, and only when asked
        if reuse and not table:
            assert results[reuse][0] is saved.activations[0]
    for kept, reused in zip(results[False], results[True], strict=True):
        if kept is None:
            assert reused is None
        else:
            np.testing.assert_array_equal(reused, kept)


class _RecordsRetention(Function):
    """Identity whose backward records what `is_graph_retained` says."""

    seen: ClassVar[list[bool]] = []

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        _RecordsRetention.seen.append(is_graph_retained())
        return grad


def test_the_engine_says_when_the_graph_is_retained():
    x = Tensor(np.ones(3), requires_grad=True)
    loss = _RecordsRetention.apply(x).sum()
    _RecordsRetention.seen.clear()
    loss.backward(retain_graph=True)
    loss.backward()
    assert _RecordsRetention.seen == [True, False]
    assert not is_graph_retained()  # restored after each backward


@pytest.mark.parametrize("split", ["units", "rows"])
def test_fused_lstm_backward_twice_with_retain_graph_doubles_every_gradient(split, monkeypatch):
    """The first backward retains the graph, so it must leave the saved gates as they are."""
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)  # small teams
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_BACKWARD_STEP_MACS", 0)
    if split == "units":
        monkeypatch.setattr(recurrent_loops, "rows_split_pays", lambda *_: False)
    stack = LSTM(input_size=3, hidden_size=5, num_layers=2, dtype=np.float64, generator=0)
    x = Tensor(np.random.default_rng(1).normal(size=(6, 17, 3)), requires_grad=True)
    out, _ = stack(x)
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    first = {name: p.grad.copy() for name, p in stack.named_parameters()}
    first_x = x.grad.copy()
    loss.backward()
    for name, p in stack.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * first[name], rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(x.grad, 2 * first_x, rtol=1e-12)


def test_language_model_table_path_backward_twice_with_retain_graph():
    model = LanguageModel(11, 6, 8, num_layers=2, cell="lstm", dtype=np.float64, generator=0)
    ids = np.random.default_rng(2).integers(0, 11, size=(40, 3))
    logits, _ = model(ids)  # vocabulary < tokens: layer 0 reads its (V, 4H) table
    loss = (logits * logits).sum()
    loss.backward(retain_graph=True)
    first = {name: p.grad.copy() for name, p in model.named_parameters()}
    loss.backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * first[name], rtol=1e-12, err_msg=name)
