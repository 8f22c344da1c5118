"""Sequential, ModuleList and ModuleDict indexing and slicing, as torch.nn's (qaB s20 item 7)."""

from collections import OrderedDict

import numpy as np
import pytest

from seqlab.autograd import nn, tensor


def _stack():
    return nn.Sequential(nn.Linear(3, 4, generator=1), nn.Tanh(), nn.Linear(4, 2, generator=2))


def test_sequential_slice_is_a_callable_sequential_keeping_names():
    model = _stack()
    head = model[:-1]
    assert type(head) is nn.Sequential and len(head) == 2
    x = tensor(np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32))
    np.testing.assert_array_equal(head(x).numpy(), model[1](model[0](x)).numpy())
    assert head[0] is model[0]  # the same modules, not copies
    # PyTorch keeps the original names: model[1:] has keys "1" and "2"
    assert list(model[1:].state_dict()) == ["2.weight", "2.bias"]
    assert model[-1] is model[2]
    with pytest.raises(IndexError):
        model[3]


def test_sequential_from_ordered_dict_keeps_names():
    model = nn.Sequential(OrderedDict(encoder=nn.Linear(2, 2, generator=1), act=nn.ReLU()))
    assert list(model.state_dict()) == ["encoder.weight", "encoder.bias"]
    assert isinstance(model[1], nn.ReLU)


def test_module_list_slice_is_a_renumbered_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2, generator=k) for k in range(3)])
    tail = layers[1:]
    assert type(tail) is nn.ModuleList and list(tail) == [layers[1], layers[2]]
    assert list(tail.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_module_dict_registers_by_key():
    a = nn.Linear(2, 1, generator=1)
    heads = nn.ModuleDict({"a": a})
    heads["b"] = nn.ReLU()
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert list(heads.state_dict()) == ["a.weight", "a.bias"]
    assert heads.pop("a") is a and list(heads.keys()) == ["b"]
    assert not hasattr(heads, "a") and list(heads.parameters()) == []
    with pytest.raises(KeyError, match="hide"):
        heads["keys"] = nn.ReLU()
    heads.clear()
    assert len(heads) == 0 and not hasattr(heads, "b")
