"""An optimizer's state follows its parameters' dtype: after `model.double()` the next step
casts the moments (buffers, sums) to float64, as a state dict loaded into the float64 model
would be (`Optimizer.load_state_dict` casts), so the float64 model is float64 throughout."""

import copy

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import nn, optim

X = np.random.default_rng(0).standard_normal((5, 4))

OPTIMIZERS = {
    "Adam": lambda params: optim.Adam(params, lr=0.1, amsgrad=True),
    "SGD": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.1),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.1, momentum=0.5, centered=True),
}


def _step(model, optimizer, dtype):
    optimizer.zero_grad()
    (model(ag.tensor(X.astype(dtype))) ** 2).sum().backward()
    optimizer.step()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_follows_double_at_the_next_step(name):
    model = nn.Linear(4, 3, generator=0)
    optimizer = OPTIMIZERS[name](model.parameters())
    _step(model, optimizer, np.float32)
    reference = copy.deepcopy(model).double()
    reference_optimizer = OPTIMIZERS[name](reference.parameters())
    reference_optimizer.load_state_dict(optimizer.state_dict())  # (casts to float64)
    model.double()
    for _ in range(2):
        _step(model, optimizer, np.float64)
        _step(reference, reference_optimizer, np.float64)
    for state in optimizer.state.values():
        assert {value.dtype for value in state.values() if isinstance(value, np.ndarray)} \
            == {np.dtype(np.float64)}
    for got, want in zip(model.parameters(), reference.parameters(), strict=True):
        np.testing.assert_array_equal(got.data, want.data)
