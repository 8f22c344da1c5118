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
