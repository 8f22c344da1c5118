"""`Linear`: y = x @ W.T + b, PyTorch's layout and initialisation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from seqlab.autograd.creation import Generator, as_generator
from seqlab.autograd.errors import ShapeOrDtypeError, cast_hint
from seqlab.autograd.nn import functional, init
from seqlab.autograd.nn.layer_inputs import as_layer_input
from seqlab.autograd.nn.module import Module
from seqlab.autograd.nn.parameter import Parameter
from seqlab.autograd.tensor import Tensor


class Linear(Module):
    """Affine map of the last dim: weight (out_features, in_features), bias (out_features,).

    Both start from U(-1/sqrt(in_features), 1/sqrt(in_features)), as PyTorch's
    kaiming_uniform_(a=sqrt(5)) gives, drawn weight first then bias from `generator`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float32, generator: Generator = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator = None) -> None:
        """Draw fresh weights (and bias) as PyTorch's `Linear.reset_parameters`."""
        rng = as_generator(generator)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=rng)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=rng)

    def forward(self, input: Tensor) -> Tensor:
        input = as_layer_input(input, self.weight.dtype)
        dtype = np.dtype(input.dtype)
        if input.ndim == 0:  # (PyTorch: "both arguments to linear need to be at least 1D")
            raise ShapeOrDtypeError(
                f"Linear: the input must be at least 1-D (..., {self.in_features}), got a 0-d "
                "scalar")
        if dtype.kind != "f":
            raise ShapeOrDtypeError(
                f"Linear: the input must be floating point ({self.weight.dtype}), got {dtype}; "
                f"convert it (x{cast_hint(self.weight.dtype)})")
        if dtype != self.weight.dtype:
            raise ShapeOrDtypeError(
                f"Linear: input dtype {dtype} does not match its {self.weight.dtype} weight; "
                f"convert the input (x{cast_hint(self.weight.dtype)}) or the model "
                f"(model{cast_hint(dtype)})"
            )
        return functional.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
