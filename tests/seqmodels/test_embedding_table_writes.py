"""A weight written in place between forward and backward of Embedding -> LSTM, where layer 0
reads the embedding's per-symbol table (fewer symbols than tokens): seqlab raises where
PyTorch raises and computes where it computes (stop 22 left the table path raising for a write
into the embedding's weight, which PyTorch's embedding never saves).

PyTorch 2.13's behaviour, recorded (`torch.nn.Embedding(7, 4) -> torch.nn.LSTM(4, 5)`,
float64, a write of +0.5 after forward, then `(out ** 2).sum().backward()`):

    target        under no_grad: w.add_(0.5)   through .data: w.data.add_(0.5)
    emb.weight    computes                     computes
    weight_ih_l0  raises (modified in place)   computes
    weight_hh_l0  raises (modified in place)   computes
    bias_ih_l0    computes                     computes

Where it computes after a write into the embedding's weight or a bias, PyTorch's gradients are
those of the run without the write (the embedding's backward reads only the ids, the LSTM's
saved input is the looked-up rows, and no gradient reads a bias): checked here against that
run, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from graph_nodes import graph_functions

from seqlab.autograd import no_grad
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels.recurrent import GRU, LSTM
from seqlab.seqmodels.table_projection import TableProjection

TORCH = {  # (target, how) -> raises, as PyTorch 2.13 does
    ("emb", "no_grad"): False, ("emb", "data"): False,
    ("weight_ih_l0", "no_grad"): True, ("weight_ih_l0", "data"): False,
    ("weight_hh_l0", "no_grad"): True, ("weight_hh_l0", "data"): False,
    ("bias_ih_l0", "no_grad"): False, ("bias_ih_l0", "data"): False,
}
VOCAB, STEPS, BATCH = 7, 5, 4  # 20 tokens over 7 symbols: layer 0 reads the table


def _models(padding_idx, cell=LSTM):
    emb = Embedding(VOCAB, 4, padding_idx=padding_idx, generator=1).double()
    lstm = cell(4, 5, generator=2).double()
    assert lstm.reads_embedding_table(VOCAB, STEPS * BATCH)
    return emb, lstm


def _ids():
    return np.random.default_rng(3).integers(0, VOCAB, (STEPS, BATCH))


def _grads(emb, lstm, write=None):
    for parameter in [*emb.parameters(), *lstm.parameters()]:
        parameter.grad = None
    out, _ = lstm(emb(_ids()))
    if write is not None:
        write()
    (out ** 2).sum().backward()
    return [p.grad.copy() for p in [*emb.parameters(), *lstm.parameters()]]


def _writer(emb, lstm, target, how):
    weight = emb.weight if target == "emb" else getattr(lstm, target)

    def write():
        if how == "no_grad":
            with no_grad():
                weight.add_(0.5)
        else:
            weight.data += 0.5
    return weight, write


@pytest.mark.parametrize("padding_idx", [None, 0])
@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_these_models_read_the_table_through_the_table_node(cell, padding_idx):
    """The cases below test the table path, not the plain one (which a missed condition
    would take silently, and which computes where PyTorch does anyway)."""
    emb, model = _models(padding_idx, cell)
    out, _ = model(emb(_ids()))
    assert TableProjection in graph_functions(out)


@pytest.mark.parametrize("padding_idx", [None, 0])
@pytest.mark.parametrize(("target", "how"), list(TORCH))
def test_a_write_after_forward_raises_where_torch_raises(target, how, padding_idx):
    emb, lstm = _models(padding_idx)
    _, write = _writer(emb, lstm, target, how)
    if TORCH[target, how]:
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            _grads(emb, lstm, write)
    else:
        _grads(emb, lstm, write)


@pytest.mark.parametrize("padding_idx", [None, 0])
@pytest.mark.parametrize("how", ["no_grad", "data"])
@pytest.mark.parametrize("target", ["emb", "bias_ih_l0"])
def test_gradients_after_such_a_write_are_those_without_it(target, how, padding_idx):
    emb, lstm = _models(padding_idx)
    expected = _grads(emb, lstm)
    weight, write = _writer(emb, lstm, target, how)
    before = weight.data.copy()
    got = _grads(emb, lstm, write)
    assert not np.array_equal(weight.data, before)  # the write happened
    for ours, theirs in zip(got, expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("how", ["no_grad", "data"])
def test_a_gru_reading_the_table_gives_the_gradients_without_the_write(how):
    """The GRU's layer 0 reads the same table (E @ W_ih^T + b_ih)."""
    emb, gru = _models(None, GRU)
    expected = _grads(emb, gru)
    _, write = _writer(emb, gru, "emb", how)
    for ours, theirs in zip(_grads(emb, gru, write), expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)
