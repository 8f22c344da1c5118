"""Activation modules, for use in `Sequential`."""

from __future__ import annotations

from seqlab.autograd.nn.module import Module
from seqlab.autograd.tensor import Tensor


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, input: Tensor) -> Tensor:
        return input.relu()


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Sigmoid(Module):
    """Logistic function."""

    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()
