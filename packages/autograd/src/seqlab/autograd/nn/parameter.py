"""`Parameter`: a leaf tensor that a Module registers and an optimizer updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.tensor import Tensor

_data_slot = Tensor.data  # Tensor's own storage for `.data`: reads go straight to it


class Parameter(Tensor):
    """A Tensor that requires a gradient by default and is registered by `Module.__setattr__`.

    Its data always starts on a 64-byte cache line (`seqlab.autograd.aligned`), wherever it
    comes from: an array given here or assigned to `.data` later (`load_state_dict`,
    `Module.to`, unpickling, deepcopy) is kept as it is when it is C-contiguous and on a line,
    and copied onto one (the same values, bit for bit) when it is not: such an array then no
    longer shares memory with the parameter (PyTorch copies a NumPy array into a tensor too,
    `torch.tensor(ndarray)`). Recurrent loops read a weight every step, and read it up to 17%
    slower off a line (`aligned`). Writes through `.data` in place keep its array.

    The check is in `__setattr__`, not in a property: a read of `.data` (every op, every
    optimizer step reads it) is then Tensor's plain slot read, 44 ns rather than a property's
    89 (stop 22); an assignment to any attribute pays a Python call instead, and assignments
    are rare (`.grad` once a backward).
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "data":
            value = _on_a_line(self, value)
        _set_attribute(self, name, value)

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = data.data if isinstance(data, Tensor) else np.asarray(data)
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_set_attribute = object.__setattr__


def _on_a_line(parameter: Parameter, array: Any) -> np.ndarray:
    """`array` as the parameter's data: itself when on a line, else its copy onto one."""
    # the same array again (`p.data -= step`) is already where it was put: skip the 2 us check
    try:
        if _data_slot.__get__(parameter) is array:
            return array
    except AttributeError:  # a Parameter being made: nothing set yet
        pass
    return aligned.on_line(np.asanyarray(array))  # (a subclass view stays one)
