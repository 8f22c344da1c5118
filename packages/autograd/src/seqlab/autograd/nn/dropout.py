"""`Dropout`: inverted dropout with its own random generator."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.creation import Generator, as_generator
from seqlab.autograd.nn import functional
from seqlab.autograd.nn.module import Module
from seqlab.autograd.tensor import Tensor


class Dropout(Module):
    """Zero elements with probability p and scale the rest by 1 / (1 - p) in training mode;
    the identity in eval mode. `generator` (a Generator or a seed) makes the masks repeatable;
    None draws from seqlab's default generator.
    """

    def __init__(self, p: float = 0.5, generator: Generator = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout probability must be in [0, 1], got {p}")
        self.p = float(p)
        self.generator: np.random.Generator | None = (
            None if generator is None else as_generator(generator)
        )

    def forward(self, input: Tensor) -> Tensor:
        return functional.dropout(input, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
