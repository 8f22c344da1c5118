"""Writes into parameters outside the graph (optimizer steps, load_state_dict, nn.init,
Embedding's max_norm renormalisation) stamp the parameter's memory, so a backward through a
graph that saved the old values raises, as PyTorch's version counter makes it raise; a step
after backward (the usual training loop) stays fine."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import nn, optim

MODIFIED = "modified by an in-place operation"


def _linear_graph() -> tuple[nn.Linear, ag.Tensor]:
    """A Linear whose weight the graph saved (the input requires grad)."""
    ag.manual_seed(0)
    layer = nn.Linear(3, 2).double()
    x = ag.tensor(np.ones((4, 3)), requires_grad=True)
    return layer, layer(x).sum()


def _train_step(layer: nn.Linear, opt: optim.Optimizer) -> None:
    opt.zero_grad()
    layer(ag.tensor(np.ones((4, 3)))).sum().backward()
    opt.step()


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda p: optim.Adam(p, lr=0.1),
    lambda p: optim.AdamW(p, lr=0.1),
    lambda p: optim.Adagrad(p, lr=0.1),
    lambda p: optim.RMSprop(p, lr=0.1),
])
def test_optimizer_step_before_backward_raises(make):
    layer, loss = _linear_graph()
    _train_step(layer, make(layer.parameters()))
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_step_after_backward_and_untouched_parameters_stay_fine():
    layer, loss = _linear_graph()
    opt = optim.SGD(layer.parameters(), lr=0.1)
    loss.backward()
    opt.step()  # the usual loop: nothing saved is used after the step
    frozen = ag.tensor(np.ones((3, 3)), requires_grad=True)
    y = (ag.tensor(np.ones((2, 3)), requires_grad=True) @ frozen).sum()
    optim.SGD([frozen], lr=0.1).step()  # no gradient: the parameter is not written
    assert np.array_equal(frozen.data, np.ones((3, 3)))
    y.backward()
    assert frozen.grad is not None


def test_module_load_state_dict_before_backward_raises():
    layer, loss = _linear_graph()
    layer.load_state_dict(nn.Linear(3, 2).double().state_dict())
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_init_before_backward_raises():
    layer, loss = _linear_graph()
    nn.init.normal_(layer.weight)
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_embedding_max_norm_renorm_of_tied_weight_raises():
    table = ag.tensor(np.full((5, 3), 10.0), requires_grad=True)
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    logits = (x @ table.t()).sum()  # saves the table, as a tied output layer does
    nn.functional.embedding(ag.tensor(np.array([0, 1])), table, max_norm=1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        logits.backward()


def test_embedding_max_norm_before_its_use_is_fine():
    table = ag.tensor(np.full((5, 3), 10.0), requires_grad=True)
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    rows = nn.functional.embedding(ag.tensor(np.array([0, 1])), table, max_norm=1.0)
    ((x @ table.t()).sum() + rows.sum()).backward()
    assert np.allclose(np.linalg.norm(table.data[:2], axis=1), 1.0, atol=1e-6)


def test_copy_into_parameter_before_backward_raises():
    layer, loss = _linear_graph()
    with ag.no_grad():
        layer.weight.copy_(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()
