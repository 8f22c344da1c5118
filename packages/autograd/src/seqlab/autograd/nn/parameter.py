"""`Parameter`: a leaf tensor that a Module registers and an optimizer updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.tensor import Tensor

_data_slot = Tensor.data  # Tensor's own storage for `.data`: Parameter's property wraps it


def _set_data_on_a_line(parameter: Parameter, array: np.ndarray) -> None:
    # the same array again (`p.data -= step`) is already where it was put: skip the 2 us check
    try:
        same = _data_slot.__get__(parameter) is array
    except AttributeError:  # a Parameter being made: nothing set yet
        same = False
    if not same:
        array = aligned.on_line(np.asanyarray(array))  # (a subclass view stays one)
    _data_slot.__set__(parameter, array)


class Parameter(Tensor):
    """A Tensor that requires a gradient by default and is registered by `Module.__setattr__`.

    Its data always starts on a 64-byte cache line (`seqlab.autograd.aligned`), wherever it
    comes from: an array given here or assigned to `.data` later (`load_state_dict`,
    `Module.to`, unpickling, deepcopy) is kept as it is when it is C-contiguous and on a line,
    and copied onto one (the same values, bit for bit) when it is not: such an array then no
    longer shares memory with the parameter (PyTorch copies a NumPy array into a tensor too,
    `torch.tensor(ndarray)`). Recurrent loops read a weight every step, and read it up to 17%
    slower off a line (`aligned`). Writes through `.data` in place keep its array.
    """

    __slots__ = ()

    data = property(_data_slot.__get__, _set_data_on_a_line,
                    doc="The parameter's ndarray, C-contiguous and on a 64-byte line.")

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = data.data if isinstance(data, Tensor) else np.asarray(data)
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
