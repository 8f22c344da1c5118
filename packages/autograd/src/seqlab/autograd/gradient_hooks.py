"""Hooks on a tensor's gradient (`Tensor.register_hook`), as PyTorch's.

`hook(grad)` runs in backward with the tensor's whole gradient of that backward, an ndarray
(seqlab's `.grad` is one): for a non-leaf when the op that made it is about to pass it on, for a
leaf before it is added to `.grad` (a leaf used twice gets the sum of both uses, once). A hook
may return a replacement (anything NumPy reads as an array of the same shape; cast to the
tensor's dtype) or None to leave the gradient as it is. Hooks run in the order registered.
Kept by the tensor's id (a set would compare Tensors with ==) while the tensor lives.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from seqlab.autograd.nn.hooks import RemovableHandle
    from seqlab.autograd.tensor import Tensor

# id(tensor) -> (a weak reference to it, its hooks by handle id)
hooks: dict[int, tuple[weakref.ReferenceType, OrderedDict[int, Any]]] = {}


def register(tensor: Tensor, hook: Any) -> RemovableHandle:
    """Add `hook` to `tensor`'s gradient hooks; returns the handle that removes it."""
    from seqlab.autograd.nn.hooks import add_hook

    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that does not require grad")
    key = id(tensor)
    entry = hooks.get(key)
    if entry is None or entry[0]() is not tensor:
        entry = hooks[key] = (weakref.ref(tensor, lambda _, key=key: hooks.pop(key, None)),
                              OrderedDict())
    return add_hook(entry[1], hook)


def any_hooks() -> bool:
    """Whether any live tensor has a hook now (a handle's `remove()` may have emptied an entry
    whose tensor lives on: backward then takes its plain path again)."""
    return any(entry[1] for entry in hooks.values())


def hooks_of(tensor: Tensor) -> OrderedDict[int, Any] | None:
    """`tensor`'s hooks, or None where it has none."""
    entry = hooks.get(id(tensor))
    if entry is None or entry[0]() is not tensor or not entry[1]:
        return None
    return entry[1]


def applied(tensor: Tensor, grad: np.ndarray) -> np.ndarray:
    """`grad` after `tensor`'s hooks (itself where it has none)."""
    found = hooks_of(tensor)
    if found is None:
        return grad
    for hook in list(found.values()):
        replaced = hook(grad)
        if replaced is not None:
            replaced = np.asarray(getattr(replaced, "data", replaced))
            if replaced.shape != grad.shape:
                raise RuntimeError(f"a gradient hook returned a gradient of shape "
                                   f"{replaced.shape} for a tensor of shape {grad.shape}")
            grad = replaced.astype(tensor.dtype, copy=False)
    return grad
