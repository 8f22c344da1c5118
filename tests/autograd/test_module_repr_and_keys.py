"""Module reprs laid out as PyTorch's, and `load_state_dict`'s result as PyTorch's
`_IncompatibleKeys` (QA stop 19, finding 7). The expected strings are what torch 2.13 prints
for the same modules (`repr(Block())`, `repr(Two())`, `repr(linear.load_state_dict(...))`;
its private class name `_IncompatibleKeys` is public here: `IncompatibleKeys`)."""

from __future__ import annotations

import numpy as np

from seqlab.autograd import nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(2, 3)

    def extra_repr(self) -> str:
        return "size=3"


class Two(nn.Module):
    def extra_repr(self) -> str:
        return "a=1\nb=2"


def test_extra_repr_takes_its_own_line_beside_children():
    assert repr(Block()) == ("Block(\n  size=3\n  (proj): Linear(in_features=2, out_features=3, "
                             "bias=True)\n)")


def test_a_multi_line_extra_repr_is_indented():
    assert repr(Two()) == "Two(\n  a=1\n  b=2\n)"


def test_a_leaf_keeps_its_one_line():
    assert repr(nn.Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)"


def test_load_state_dict_names_missing_and_unexpected_keys():
    linear = nn.Linear(2, 3)
    state = {"weight": np.zeros((3, 2), dtype=np.float32), "x": np.zeros(1)}
    result = linear.load_state_dict(state, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["x"]
    missing, unexpected = result  # still a pair, as before
    assert (missing, unexpected) == (["bias"], ["x"])
    assert repr(result) == "IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['x'])"
    assert repr(linear.load_state_dict(linear.state_dict())) == "<All keys matched successfully>"


# What torch 2.13 prints for the same ModuleLists (review3 item 5): a run of equal children is
# one line, `(first-last): n x child`; Sequential lists every child.
TORCH_MODULE_LISTS = {
    "same": "ModuleList(\n  (0-2): 3 x Linear(in_features=3, out_features=3, bias=True)\n"
            "  (3): Embedding(5, 2)\n)",
    "runs": "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n  (3-4): 2 x ReLU()\n)",
    "nested": "ModuleList(\n  (0-1): 2 x Sequential(\n    (0): Linear(in_features=2, "
              "out_features=2, bias=True)\n    (1): ReLU()\n  )\n)",
    "one": "ModuleList(\n  (0): ReLU()\n)",
    "empty": "ModuleList()",
    "sequential": "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)",
}


def test_a_module_list_groups_equal_neighbours_as_torch():
    built = {
        "same": nn.ModuleList([nn.Linear(3, 3) for _ in range(3)] + [nn.Embedding(5, 2)]),
        "runs": nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ReLU(), nn.ReLU()]),
        "nested": nn.ModuleList([nn.Sequential(nn.Linear(2, 2), nn.ReLU())
                                 for _ in range(2)]),
        "one": nn.ModuleList([nn.ReLU()]),
        "empty": nn.ModuleList(),
        "sequential": nn.Sequential(nn.ReLU(), nn.ReLU()),
    }
    assert {name: repr(module) for name, module in built.items()} == TORCH_MODULE_LISTS
