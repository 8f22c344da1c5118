"""Module's registry follows PyTorch's rules: what a registered name accepts, where a
re-assigned name sits, a submodule under two names, `apply`'s order, non-persistent buffers.

The expected orders and keys are those torch 2.13 gives for the same classes (qaB's
`mod_plumb.py`, `mod_plumb2.py` and `shared_module.py`, run on both sides).
"""

import numpy as np
import pytest

from seqlab.autograd import Tensor, nn, zeros


def test_a_plain_tensor_over_a_parameter_is_refused_and_the_parameter_kept():
    layer = nn.Linear(2, 2)
    weight = layer.weight
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight' "
                       r"\(nn\.Parameter or None expected\); wrap the tensor in nn\.Parameter"):
        layer.weight = zeros(2, 2)
    assert layer.weight is weight
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.state_dict()) == ["weight", "bias"]
    layer.bias = None  # None clears a parameter's value and keeps its name, as PyTorch
    assert list(layer.state_dict()) == ["weight"] and "bias" in layer._parameters


def test_a_buffer_refuses_what_is_not_an_array_and_a_child_what_is_not_a_module():
    module = nn.Module()
    module.register_buffer("steps", np.zeros(2))
    with pytest.raises(TypeError, match=r"as buffer 'steps' \(an ndarray or None expected\); "
                       r"pass tensor\.numpy\(\)"):
        module.steps = Tensor(np.ones(2))
    with pytest.raises(TypeError, match="as buffer 'steps'"):
        module.steps = 3
    with pytest.raises(TypeError, match="as buffer 'counts'"):
        module.register_buffer("counts", Tensor(np.ones(2)))
    assert list(module.state_dict()) == ["steps"]
    module.child = nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'child' "
                       r"\(nn\.Module or None expected\)"):
        module.child = 3
    assert isinstance(module.child, nn.Linear)


def test_reassigning_a_parameter_or_child_keeps_its_place():
    layer, other = nn.Linear(2, 2), nn.Linear(2, 2)
    layer.weight = other.weight  # weight tying
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.weight is other.weight

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(1, 1), nn.Linear(1, 1)

    net = Net()
    net.a = nn.Tanh()
    assert [name for name, _ in net.named_children()] == ["a", "b"]


class Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(3, 3)
        self.decoder_in = self.encoder  # the same layer under a second name
        self.head = nn.Linear(3, 1)


def test_a_submodule_under_two_names_is_saved_under_both_and_a_child_once():
    net = Shared()
    assert list(net.state_dict()) == ["encoder.weight", "encoder.bias", "decoder_in.weight",
                                      "decoder_in.bias", "head.weight", "head.bias"]
    assert [name for name, _ in net.named_children()] == ["encoder", "head"]
    assert [name for name, _ in net.named_parameters()] == ["encoder.weight", "encoder.bias",
                                                            "head.weight", "head.bias"]
    state = {key: np.full(value.shape, 0.5) for key, value in net.state_dict().items()}
    assert net.load_state_dict(state) == ([], [])  # strict: torch's keys load as they are
    np.testing.assert_array_equal(net.encoder.weight.numpy(), 0.5)


def test_apply_visits_children_first_in_registration_order():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.act = nn.Tanh()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = Pair(), Pair()
            self.heads = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1)])

    order = []
    Net().apply(lambda module: order.append(type(module).__name__))
    assert order == ["Linear", "Tanh", "Pair", "Linear", "Tanh", "Pair", "Linear", "Linear",
                     "ModuleList", "Net"]


def test_a_non_persistent_buffer_is_left_out_of_state_dict():
    module = nn.Module()
    module.register_buffer("mask", np.ones(2), persistent=False)
    module.register_buffer("steps", np.zeros(1))
    assert list(module.state_dict()) == ["steps"]
    assert [name for name, _ in module.named_buffers()] == ["mask", "steps"]
    module.mask = np.zeros(2, dtype=np.float32)  # an update keeps it non-persistent
    module.double()  # so does a cast
    assert list(module.state_dict()) == ["steps"] and module.mask.dtype == np.float64
    assert module.load_state_dict({"steps": np.ones(1)}) == ([], [])
    module.register_buffer("mask", np.ones(2))  # registered again: persistent by default
    assert list(module.state_dict()) == ["mask", "steps"]


def test_module_list_insert_renumbers_as_pytorch():
    first, second, new = nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(1, 3)
    layers = nn.ModuleList([first, second])
    layers.insert(1, new)
    assert list(layers) == [first, new, second]
    assert [name for name, _ in layers.named_children()] == ["0", "1", "2"]
    assert layers[2] is second and getattr(layers, "2") is second
    layers.insert(-1, nn.Tanh())  # a negative index counts from the end, as list.insert
    assert [type(m).__name__ for m in layers] == ["Linear", "Linear", "Tanh", "Linear"]
    layers.insert(10, nn.Tanh())
    assert isinstance(layers[4], nn.Tanh) and len(layers) == 5


def test_forward_hooks_run_in_order_replace_args_and_output_and_come_off():
    layer = nn.Linear(2, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda module, args, out: seen.append(args) or out + 1)
    with layer.register_forward_hook(lambda module, args, out: out * 10):
        x = Tensor(np.ones((1, 2), dtype=np.float32))
        out = layer(x)
    expected = (layer.forward(x * 2).numpy() + 1) * 10  # pre-hook, then hooks in order
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(seen[0][0].numpy(), [[2.0, 2.0]])  # the replaced args
    pre.remove(), post.remove()
    np.testing.assert_array_equal(layer(x).numpy(), layer.forward(x).numpy())
    with pytest.raises(TypeError, match="a hook must be callable"):
        layer.register_forward_hook(3)
