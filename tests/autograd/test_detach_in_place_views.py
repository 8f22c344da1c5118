"""`detach_()` on a view is refused, as PyTorch refuses it ("Can't detach views in-place. Use
detach() instead."): a view's memory is its base's, so cutting the view alone from the graph
in place would leave the base's history describing memory the view no longer follows.
PyTorch's behaviour, read from torch 2.13 on each case below: refused for a basic index, a
reshape (view), a transpose / permute, an expand and a split, of a leaf that needs a gradient
or of an op's output, a view of a view, and a view written in place (or taken of an output
written in place); allowed for an op's output that owns its memory, an advanced index (a
copy), a reshape that copies and the output of detach().

One difference: PyTorch also refuses a view of a tensor that needs no gradient (it keeps view
metadata on every tensor); seqlab records nothing for such a view, and its detach_() changes
nothing."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import tensor


def leaf() -> object:
    return tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)


VIEWS = {
    "basic index of a leaf": lambda: leaf()[0],
    "basic index of an output": lambda: (leaf() * 2)[:, 1:],
    "reshape": lambda: (leaf() * 2).reshape(3, 2),
    "transpose": lambda: (leaf() * 2).t(),
    "permute": lambda: (leaf() * 2).permute(1, 0),
    "expand": lambda: (leaf() * 2)[:1].expand(4, 3),
    "split": lambda: (leaf() * 2).split(1)[0],
    "a view of a view": lambda: (leaf() * 2)[0][1:],
    "a view written in place": lambda: _written((leaf() * 2)[0]),
    "a view of an output written in place": lambda: _written(leaf() * 2)[:, 1:],
}


def _written(tensor):
    """`tensor` after an in-place add (its node is then the add's, not the view's)."""
    tensor.add_(1.0)
    return tensor


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_detach_in_place_refuses_a_view_and_leaves_it_in_the_graph(make):
    view = make()
    with pytest.raises(RuntimeError, match=r"detach_\(\) on a view .* use detach\(\)"):
        view.detach_()
    assert view.requires_grad and not view.is_leaf  # untouched


NOT_VIEWS = {
    "an op's output": lambda: leaf() * 2,
    "an advanced index (a copy)": lambda: (leaf() * 2)[[0, 1]],
    "the output of detach()": lambda: (leaf() * 2).detach(),
    "a reshape that copies (of a transpose)": lambda: (leaf() * 2).t().reshape(6),
    "a leaf": leaf,
}


@pytest.mark.parametrize("make", NOT_VIEWS.values(), ids=NOT_VIEWS.keys())
def test_detach_in_place_cuts_what_owns_its_memory(make):
    owner = make()
    assert owner.detach_() is owner
    assert owner.is_leaf and not owner.requires_grad
