"""Module: registry, dotted names, state_dict round trip and its errors, modes, zero_grad, to()."""

import numpy as np
import pytest

from seqlab.autograd import Tensor, nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(6, 3, generator=0)
        self.layers = nn.ModuleList([nn.Linear(3, 3, generator=1), nn.Linear(3, 2, generator=2)])
        self.head = nn.Sequential(nn.Tanh(), nn.Linear(2, 2, bias=False, generator=3))
        self.drop = nn.Dropout(0.5, generator=4)
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.register_buffer("steps", np.zeros(2, dtype=np.float32))
        self.not_a_parameter = Tensor(np.zeros(2))  # plain tensors are not registered

    def forward(self, indices):
        x = self.embed(indices)
        for layer in self.layers:
            x = layer(x)
        return self.head(self.drop(x)) * self.scale


NAMES = ["scale", "embed.weight", "layers.0.weight", "layers.0.bias", "layers.1.weight",
         "layers.1.bias", "head.1.weight"]


def test_registry_gives_dotted_names_in_registration_order():
    block = Block()
    assert [name for name, _ in block.named_parameters()] == NAMES
    assert len(list(block.parameters())) == len(NAMES)
    # PyTorch's order: a module's parameters, then its buffers, then its children
    assert list(block.state_dict()) == ["scale", "steps", *NAMES[1:]]
    kinds = [type(m).__name__ for m in block.modules()]
    assert kinds == ["Block", "Embedding", "ModuleList", "Linear", "Linear", "Sequential",
                     "Tanh", "Linear", "Dropout"]
    assert [name for name, _ in block.named_modules()][:4] == ["", "embed", "layers", "layers.0"]
    assert block.num_parameters() == 1 + 18 + 12 + 8 + 4


def test_tied_parameters_are_listed_once_and_reassignment_reregisters():
    block = Block()
    block.head[1].weight = block.layers[1].weight
    names = [name for name, _ in block.named_parameters()]
    assert "head.1.weight" not in names  # same object as layers.1.weight
    assert "head.1.weight" in block.state_dict()  # but saved under both names, as PyTorch
    block.scale = None
    assert "scale" not in dict(block.named_parameters())
    block.steps = np.ones(2, dtype=np.float32)  # an array on a buffer's name stays a buffer
    np.testing.assert_array_equal(block.state_dict()["steps"], [1, 1])


def test_state_dict_round_trip_copies_values():
    source, target = Block(), Block()
    for parameter in source.parameters():
        parameter.data = parameter.data + 1.5
    source.steps[...] = 7
    target.load_state_dict(source.state_dict())
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert a is not b
    indices = np.array([[0, 5], [2, 3]])
    source.eval(), target.eval()
    np.testing.assert_array_equal(source(indices).numpy(), target(indices).numpy())
    # float64 arrays load into float32 parameters without changing their dtype
    as_double = {k: v.astype(np.float64) for k, v in source.state_dict().items()}
    target.load_state_dict(as_double)
    assert target.embed.weight.dtype == np.float32


def test_load_state_dict_errors_name_every_bad_key():
    block = Block()
    state = dict(block.state_dict())
    del state["layers.0.bias"]
    with pytest.raises(KeyError, match=r"missing keys: layers\.0\.bias"):
        block.load_state_dict(state)
    state = dict(block.state_dict(), extra=np.zeros(1))
    with pytest.raises(KeyError, match="unexpected keys: extra"):
        block.load_state_dict(state)
    state = dict(block.state_dict())
    state["embed.weight"] = np.zeros((7, 3))
    shapes = r"mis-shaped keys: embed\.weight: checkpoint \(7, 3\), model \(6, 3\)"
    with pytest.raises(nn.StateDictError, match=shapes):
        block.load_state_dict(state)
    with pytest.raises(nn.StateDictError, match="mis-shaped"):
        block.load_state_dict(state, strict=False)  # shapes are checked even when not strict
    state = dict(block.state_dict(), extra=np.zeros(1))
    del state["scale"]
    missing, unexpected = block.load_state_dict(state, strict=False)
    assert missing == ["scale"] and unexpected == ["extra"]
    state["scale"] = np.zeros(1)
    state["layers.1.bias"] = np.zeros(5)
    with pytest.raises(nn.StateDictError) as error:
        block.load_state_dict(state)
    message = str(error.value)
    assert "unexpected keys: extra" in message and "layers.1.bias" in message


def test_train_eval_propagate_to_every_submodule():
    block = Block()
    assert all(m.training for m in block.modules())
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())
    block.layers.train(False)
    assert not block.layers[0].training and block.training


def test_zero_grad_and_requires_grad():
    block = Block().eval()
    block(np.array([[1, 2]])).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    block.requires_grad_(False)
    assert not any(p.requires_grad for p in block.parameters())


def test_to_dtype_casts_parameters_and_buffers():
    block = Block().eval()
    before = block(np.array([[1, 4]])).numpy()
    block.double()
    assert all(p.dtype == np.float64 for p in block.parameters())
    assert block.steps.dtype == np.float64 and block.state_dict()["steps"].dtype == np.float64
    after = block(np.array([[1, 4]]))
    assert after.dtype == np.float64
    np.testing.assert_allclose(after.numpy(), before, rtol=1e-5)
    block.to(np.float32)
    assert all(p.dtype == np.float32 for p in block.parameters())
    with pytest.raises(TypeError, match="floating-point"):
        block.to(np.int64)


def test_registration_errors():
    class Empty(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.zeros(1))

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Empty()
    module = nn.Module()
    with pytest.raises(KeyError, match=r"without '\.'"):
        module.register_parameter("a.b", nn.Parameter(np.zeros(1)))
    with pytest.raises(TypeError, match=r"wrap the tensor in nn\.Parameter"):
        module.register_parameter("w", Tensor(np.zeros(1)))
    with pytest.raises(NotImplementedError, match="does not define forward"):
        module(1)
