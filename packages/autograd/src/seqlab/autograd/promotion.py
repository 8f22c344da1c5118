"""PyTorch's result dtype for an op on two tensors of different dtypes.

NumPy and PyTorch agree within a category (bool < integer < float < complex) but not across
one: PyTorch gives an integer tensor with a float tensor the float's dtype (int64 with float32
is float32; NumPy says float64). And a 0-d tensor takes part as a weaker operand: it decides
the dtype only when its category is higher than the other tensor's (a 0-d float64 with a
float32 vector is float32; a 0-d float64 with an int64 vector is float64). Python scalars
have their own rule (`Tensor._promoted`).
"""

from __future__ import annotations

import numpy as np

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_type(a: np.ndarray, b: np.ndarray) -> np.dtype | None:
    """The dtype PyTorch gives `a (op) b`, or None for dtypes PyTorch has no rule for (NumPy
    decides those)."""
    left, right = _CATEGORY.get(a.dtype.kind), _CATEGORY.get(b.dtype.kind)
    if left is None or right is None:
        return None
    if (a.ndim == 0) != (b.ndim == 0):
        zero_d, other = (a, b) if a.ndim == 0 else (b, a)
        higher = _CATEGORY[zero_d.dtype.kind] > _CATEGORY[other.dtype.kind]
        return zero_d.dtype if higher else other.dtype
    if left == right:
        return np.promote_types(a.dtype, b.dtype)
    return a.dtype if left > right else b.dtype
