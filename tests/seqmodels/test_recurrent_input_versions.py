"""The fused recurrent Functions keep their inputs for backward: an in-place write into the
input x, h0 or c0 (or into ProjectedLayer's xg or ids) between a forward and its backward
makes the backward raise, as PyTorch's LSTM/GRU/RNN do, instead of giving gradients from
values the forward never read."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import no_grad
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN
from seqlab.seqmodels.seq2seq import Seq2Seq, make_batch

STEPS, BATCH, FEATURES, HIDDEN = 3, 2, 4, 5
MESSAGE = "modified by an in-place operation"


def _inputs(directions: int, leaf: bool):
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((STEPS, BATCH, FEATURES)), requires_grad=leaf)
    h0 = ag.tensor(rng.standard_normal((directions, BATCH, HIDDEN)), requires_grad=leaf)
    c0 = ag.tensor(rng.standard_normal((directions, BATCH, HIDDEN)), requires_grad=leaf)
    if leaf:  # non-leaf tensors with history, as a model passes them on
        x, h0, c0 = x * 1.0, h0 * 1.0, c0 * 1.0
    return x, h0, c0


@pytest.mark.parametrize("written", ["x", "h0", "c0"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_writing_an_input_before_backward_raises(cls, bidirectional, written):
    if written == "c0" and cls is not LSTM:
        pytest.skip("only an LSTM has a cell state")
    ag.manual_seed(0)
    layer = cls(FEATURES, HIDDEN, bidirectional=bidirectional, dtype=np.float64)
    for leaf in (True, False):  # inputs with a gradient, and plain ones (weights only)
        x, h0, c0 = _inputs(2 if bidirectional else 1, leaf)
        out = layer(x, (h0, c0) if cls is LSTM else h0)[0]
        with no_grad():
            {"x": x, "h0": h0, "c0": c0}[written].mul_(2.0)
        with pytest.raises(RuntimeError, match=MESSAGE):
            out.sum().backward()


@pytest.mark.parametrize("written", ["xg", "h0"])
def test_writing_a_projected_input_before_backward_raises(written):
    ag.manual_seed(0)
    layer = LSTM(FEATURES, HIDDEN, dtype=np.float64)
    rng = np.random.default_rng(1)
    xg = ag.tensor(rng.standard_normal((STEPS, BATCH, 4 * HIDDEN)), requires_grad=True) * 1.0
    h0 = ag.tensor(rng.standard_normal((1, BATCH, HIDDEN)), requires_grad=True) * 1.0
    out = layer.forward_projected(xg, (h0, h0 * 0.5))[0]
    with no_grad():
        {"xg": xg, "h0": h0}[written].mul_(2.0)
    with pytest.raises(RuntimeError, match=MESSAGE):
        out.sum().backward()


def test_writing_projected_table_ids_before_backward_raises():
    ag.manual_seed(0)
    layer = GRU(FEATURES, HIDDEN, dtype=np.float64)
    table = ag.tensor(np.random.default_rng(2).standard_normal((7, 3 * HIDDEN)),
                      requires_grad=True)
    ids = ag.tensor(np.arange(STEPS * BATCH).reshape(STEPS, BATCH) % 7)
    out = layer.forward_projected(table, ids=ids.data)[0]
    ids.fill_(0)  # the gradient would go to row 0 only
    with pytest.raises(RuntimeError, match=MESSAGE):
        out.sum().backward()


@pytest.mark.parametrize("written", ["encoder.weight_hh_l0", "encoder.weight_hh_l0_reverse"])
def test_writing_a_packed_encoders_recurrent_weight_before_backward_raises(written):
    """The packed (chunked) encoder of a Seq2Seq model keeps its W_hh for backward too."""
    model = Seq2Seq(7, 8, embedding_dim=4, hidden_size=4, num_layers=1, cell="lstm",
                    bidirectional=True, dtype=np.float64, generator=3)
    batch = make_batch([np.array([4, 5, 6, 4]), np.array([6, 4])],
                       [np.array([4, 5]), np.array([7])], model.bos_id, model.eos_id,
                       model.pad_id)
    loss = model.training_loss(batch, None)[0]
    with no_grad():
        dict(model.named_parameters())[written].mul_(2.0)
    with pytest.raises(RuntimeError, match=MESSAGE):
        loss.backward()
