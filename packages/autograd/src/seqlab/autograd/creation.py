"""Tensor constructors and the functions that combine tensors (cat, stack, where)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seqlab.autograd.ops import elementwise as ew
from seqlab.autograd.ops import shape as shape_ops
from seqlab.autograd.tensor import DEFAULT_DTYPE, Tensor

_default_generator = np.random.default_rng()

Generator = np.random.Generator | int | None


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator used when no `generator` is passed; returns it."""
    global _default_generator
    _default_generator = np.random.default_rng(seed)
    return _default_generator


def default_generator() -> np.random.Generator:
    """The module-wide generator (seeded by `manual_seed`)."""
    return _default_generator


def as_generator(generator: Generator) -> np.random.Generator:
    """A Generator from a Generator, a seed, or None (the default generator)."""
    if generator is None:
        return _default_generator
    if isinstance(generator, np.random.Generator):
        return generator
    return np.random.default_rng(generator)


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], Sequence):
        return tuple(size[0])
    return tuple(size)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor from data (lists, scalars, ndarrays); Python floats become float32."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*size: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_shape(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_shape(size), dtype=dtype), requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: float, dtype: Any = DEFAULT_DTYPE,
         requires_grad: bool = False) -> Tensor:
    return Tensor(np.full(tuple(size), fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    dtype = other.dtype if dtype is None else dtype
    return Tensor(np.zeros(other.shape, dtype=dtype), requires_grad=requires_grad)


def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    dtype = other.dtype if dtype is None else dtype
    return Tensor(np.ones(other.shape, dtype=dtype), requires_grad=requires_grad)


def randn(*size: Any, generator: Generator = None, dtype: Any = DEFAULT_DTYPE,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples from `generator` (a Generator, a seed, or the default)."""
    data = as_generator(generator).standard_normal(_shape(size)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand(*size: Any, generator: Generator = None, dtype: Any = DEFAULT_DTYPE,
         requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples from `generator` (a Generator, a seed, or the default)."""
    data = as_generator(generator).random(_shape(size)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Like PyTorch: integers give int64, any float argument gives float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else DEFAULT_DTYPE
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate along an existing dim."""
    if not tensors:
        raise ValueError("cat() needs at least one tensor")
    return shape_ops.Concatenate.apply(dim, *tensors)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join along a new dim."""
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    return shape_ops.Stack.apply(dim, *tensors)


def where(condition: Any, a: Any = None, b: Any = None) -> Any:
    """Elementwise `condition ? a : b` with broadcasting.

    With the condition alone, as `torch.where(condition)`: a tuple of int64 index tensors, one
    per dim, of the True elements (NumPy's `nonzero`).
    """
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if a is None and b is None:
        return tuple(Tensor(index.astype(np.int64)) for index in np.nonzero(condition))
    if a is None or b is None:
        raise TypeError("where() takes the condition alone, or the condition and both values")
    reference = a if isinstance(a, Tensor) else b
    def operand(x: Any) -> Any:
        if isinstance(x, Tensor):
            return x
        return np.asarray(x, dtype=reference.dtype if isinstance(reference, Tensor) else None)
    return ew.Where.apply(condition, operand(a), operand(b))
