"""Embedding -> RNN/LSTM/GRU: layer 0 reads the embedding's table only while the lookup's
output holds what the lookup wrote. An in-place write into the output (a Tensor method, item
assignment, or a write through `.data` that no version counter sees), or into the table after
the lookup, sends the layer back to projecting the values it is given, as PyTorch always does."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN

VOCAB, FEATURES, HIDDEN, STEPS, BATCH = 5, 3, 4, 6, 3  # 18 tokens > 5 symbols: table path


def _edit_tensor_method(x, embedding):
    x.mul_(2.0)


def _edit_item(x, embedding):
    x[0] = 0.5


def _edit_data(x, embedding):
    x.data[1] *= -1.0  # a plain NumPy write: no version counter sees it


def _edit_table_after_lookup(x, embedding):
    embedding.weight.data[...] += 1.0  # the table changes; the looked-up rows do not


EDITS = {"mul_": _edit_tensor_method, "item": _edit_item, "data": _edit_data,
         "table": _edit_table_after_lookup}


def _models(cls):
    embedding = Embedding(VOCAB, FEATURES, dtype=np.float64, generator=1)
    stack = cls(FEATURES, HIDDEN, dtype=np.float64, generator=2)
    return embedding, stack


def _ids() -> np.ndarray:
    return np.random.default_rng(3).integers(0, VOCAB, (STEPS, BATCH))


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_an_edited_lookup_is_what_the_layer_reads(cls, edit):
    """Outputs and the embedding's gradient against the same edit made to a copy of the
    lookup (which never reads the table)."""
    results = []
    for copied in (False, True):
        embedding, stack = _models(cls)
        x = embedding(_ids())
        if copied:
            x = x * 1.0
        EDITS[edit](x, embedding)
        out = stack(x)[0]
        (out * out).sum().backward()
        results.append((out.data, embedding.weight.grad, stack.weight_ih_l0.grad))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_an_edited_lookup_is_what_the_layer_reads_without_a_graph(cls, edit):
    embedding, stack = _models(cls)
    with no_grad():
        x = embedding(_ids())
        EDITS[edit](x, embedding)
        got = stack(x)[0].data
        want = stack(Tensor(x.data.copy()))[0].data
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_a_lookup_that_retains_its_gradient_gets_it(cls):
    """`x = embedding(ids); x.retain_grad()`: the layer must flow the gradient through `x`
    (the table path would skip it), as through a copy of the lookup."""
    grads = []
    for copied in (False, True):
        embedding, stack = _models(cls)
        x = embedding(_ids())
        if copied:
            x = x * 1.0
        x.retain_grad()
        out = stack(x)[0]
        (out * out).sum().backward()
        assert x.grad is not None
        grads.append((np.asarray(getattr(x.grad, "data", x.grad)), embedding.weight.grad))
    for got, want in zip(*grads):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_rows_are_compared_only_where_the_table_may_be_read(monkeypatch):
    """More symbols than tokens (or another dtype): the table path cannot apply, so the
    lookup's rows are not compared with the table's (the cheap tests come first)."""
    from seqlab.autograd.nn import embedding_lookups

    compared = []
    real = embedding_lookups._rows_hold
    monkeypatch.setattr(embedding_lookups, "_rows_hold",
                        lambda table, ids, rows: compared.append(rows.shape)
                        or real(table, ids, rows))
    stack = LSTM(FEATURES, HIDDEN, dtype=np.float64, generator=2)
    big = Embedding(STEPS * BATCH + 1, FEATURES, dtype=np.float64, generator=1)
    stack(big(_ids()))
    single = Embedding(VOCAB, FEATURES, dtype=np.float32, generator=1)
    with pytest.raises(ValueError, match="dtype"):
        stack(single(_ids()))  # float32 rows into float64 weights: refused, never compared
    assert compared == []
    embedding, _ = _models(LSTM)
    stack(embedding(_ids()))  # fewer symbols than tokens: compared once
    assert compared == [(STEPS, BATCH, FEATURES)]
