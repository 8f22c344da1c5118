"""A module pickled by an earlier seqlab (before forward hooks and non-persistent buffers)
still unpickles into one that runs, saves and takes hooks."""

from __future__ import annotations

import pickle

import numpy as np

from seqlab.autograd import Tensor
from seqlab.autograd.nn import Linear, Sequential

ADDED_LATER = ("_non_persistent", "_forward_pre_hooks", "_forward_hooks")


def _as_pickled_before(module):
    """`module`'s pickle as an earlier seqlab wrote it: its modules without the later attributes."""
    for sub in module.modules():
        for name in ADDED_LATER:
            del sub.__dict__[name]
    return pickle.dumps(module)


def test_an_old_pickle_runs_saves_and_takes_hooks():
    model = Sequential(Linear(2, 3), Linear(3, 1))
    x = Tensor(np.arange(4.0, dtype=np.float32).reshape(2, 2))
    want = model(x).data.copy()
    keys = list(model.state_dict())
    old = pickle.loads(_as_pickled_before(model))
    np.testing.assert_array_equal(old(x).data, want)
    assert list(old.state_dict()) == keys
    seen = []
    old.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    old(x)
    assert seen == [(2, 1)]
