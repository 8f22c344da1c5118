"""`Embedding`: a lookup table of vectors, PyTorch's layout and initialisation."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.creation import Generator
from seqlab.autograd.nn import functional, init
from seqlab.autograd.nn.module import Module
from seqlab.autograd.nn.parameter import Parameter
from seqlab.autograd.tensor import Tensor


def _padding_index(padding_idx: int | None, num_embeddings: int) -> int | None:
    """padding_idx in [0, num_embeddings) (negative values count from the end), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"padding_idx {padding_idx} is out of range for {num_embeddings} embeddings: it "
            f"must be in [-{num_embeddings}, {num_embeddings})"
        )
    return padding_idx % num_embeddings


class Embedding(Module):
    """weight (num_embeddings, embedding_dim) from N(0, 1); row padding_idx starts at zero and
    never gets a gradient. `_weight` gives the initial table instead; `_freeze` stops its gradient.
    With `max_norm`, every row a forward pass looks up is first rescaled in place to norm at most
    max_norm (`norm_type`-norm), as PyTorch does. Arguments in PyTorch's order.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 _weight: Any = None, _freeze: bool = False, dtype: Any = np.float32,
                 generator: Generator = None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters(generator)
        else:
            table = aligned.copy(_weight.data if isinstance(_weight, Tensor) else _weight)
            if table.shape != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {table.shape}, expected "
                    f"({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(table, requires_grad=not _freeze)

    def reset_parameters(self, generator: Generator = None) -> None:
        """Redraw from N(0, 1) and zero the padding row."""
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0) -> Embedding:
        """An Embedding holding a copy of a (num_embeddings, embedding_dim) array or Tensor."""
        table = np.array(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if table.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained needs a 2-D array (num_embeddings, embedding_dim), "
                f"got shape {table.shape}"
            )
        if table.dtype.kind != "f":
            raise TypeError(f"Embedding.from_pretrained needs floating-point vectors, got "
                            f"{table.dtype}")
        return cls(table.shape[0], table.shape[1], padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, _weight=table, _freeze=freeze)

    def forward(self, input: Any) -> Tensor:
        return functional.embedding(input, self.weight, self.padding_idx, self.max_norm,
                                    self.norm_type)

    def extra_repr(self) -> str:
        options = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            options += f", max_norm={self.max_norm}"
            if self.norm_type != 2:
                options += f", norm_type={self.norm_type}"
        return f"{self.num_embeddings}, {self.embedding_dim}{options}"
