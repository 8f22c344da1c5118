"""Optimizer state starts on a 64-byte line again after `copy.deepcopy` or a pickle round trip
of the optimizer, alone or with its model (stop 22 left it where NumPy's copy put it: 16 or 48
bytes past a line 3 times in 4), and the copy's state belongs to the copy's parameters and
trains to the same bits as the original."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from seqlab.autograd import Tensor, aligned, optim
from seqlab.seqmodels.recurrent import LSTM

OPTIMIZERS = {
    "sgd_momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "adam_amsgrad": lambda params: optim.Adam(params, lr=0.01, amsgrad=True),
    "rmsprop_centered": lambda params: optim.RMSprop(params, lr=0.01, momentum=0.5,
                                                     centered=True),
    "adagrad": lambda params: optim.Adagrad(params, lr=0.1),
}
COPIES = {
    "deepcopy": copy.deepcopy,
    "pickle": lambda value: pickle.loads(pickle.dumps(value)),
}


def _state_arrays(optimizer) -> list[np.ndarray]:
    return [value for state in optimizer.state.values() for value in state.values()
            if isinstance(value, np.ndarray) and value.ndim]


def _off_line_count(arrays) -> int:
    return sum(not aligned.is_on_line(array) for array in arrays)


def _step(model, optimizer, x) -> None:
    optimizer.zero_grad()
    out, _ = model(x)
    (out * out).mean().backward()
    optimizer.step()


def _trained(name):
    model = LSTM(5, 8, num_layers=2, generator=0)
    optimizer = OPTIMIZERS[name](model.parameters())
    x = Tensor(np.random.default_rng(3).standard_normal((6, 2, 5)).astype(np.float32))
    _step(model, optimizer, x)
    assert len(_state_arrays(optimizer)) >= 8
    return model, optimizer, x


@pytest.mark.parametrize("how", list(COPIES))
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_copied_model_and_optimizer_start_every_array_on_a_line(name, how):
    model, optimizer, x = _trained(name)
    twin_model, twin_optimizer = COPIES[how]((model, optimizer))
    assert _off_line_count(_state_arrays(twin_optimizer)) == 0
    assert _off_line_count(p.data for p in twin_model.parameters()) == 0
    # the copy's state is keyed by the copy's parameters, and trains as the original does
    assert set(map(id, twin_optimizer.state)) == set(map(id, twin_model.parameters()))
    _step(model, optimizer, x)
    _step(twin_model, twin_optimizer, x)
    for ours, theirs in zip(model.parameters(), twin_model.parameters(), strict=True):
        np.testing.assert_array_equal(ours.data, theirs.data)


@pytest.mark.parametrize("how", list(COPIES))
def test_an_optimizer_copied_alone_starts_its_state_on_a_line(how):
    _, optimizer, _ = _trained("adam_amsgrad")
    twin = COPIES[how](optimizer)
    assert _off_line_count(_state_arrays(twin)) == 0
    for ours, theirs in zip(_state_arrays(optimizer), _state_arrays(twin), strict=True):
        np.testing.assert_array_equal(ours, theirs)
