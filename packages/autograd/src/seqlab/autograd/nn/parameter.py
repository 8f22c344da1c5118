"""`Parameter`: a leaf tensor that a Module registers and an optimizer updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires a gradient by default and is registered by `Module.__setattr__`."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = data.data if isinstance(data, Tensor) else np.asarray(data)
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
