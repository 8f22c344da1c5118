"""The one rule for what a layer's `forward` takes as its floating-point input (and states).

A Tensor as it is. A NumPy array as a Tensor over the same memory, its dtype kept: a float64
array into a float32 layer is refused as a float64 Tensor is (as `torch.from_numpy` keeps the
array's dtype), never cast silently. Anything else NumPy reads as an array (nested lists,
tuples, scalars) has no dtype of its own and takes the layer's, as seqlab's heads convert
their inputs (`SequenceRegressor.forward`) and as `torch.tensor` gives a list torch's default.
Keras layers take NumPy arrays the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd.tensor import Tensor


def as_layer_input(value: Any, dtype: Any) -> Tensor:
    """`value` as a Tensor for a layer computing in `dtype` (see the module's rule)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray | np.generic):
        return Tensor(value)
    return Tensor(np.asarray(value, dtype=dtype))
