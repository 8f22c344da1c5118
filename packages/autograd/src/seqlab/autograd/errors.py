"""Errors for bad inputs that PyTorch reports as RuntimeError and seqlab as ValueError, and
`cast_hint`, the conversion these messages suggest."""

from __future__ import annotations

from typing import Any

import numpy as np


class ShapeOrDtypeError(ValueError, RuntimeError):
    """An input of the wrong shape, size or dtype for a layer (a Linear's dtype, an RNN's
    empty sequence, hidden state size or feature count): catchable as ValueError (seqlab's
    convention) and as RuntimeError (what PyTorch raises there)."""


def cast_hint(dtype: Any) -> str:
    """The Tensor call that converts to `dtype`, for error messages (.float(), .double())."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return ".float()"
    if dtype == np.float64:
        return ".double()"
    return f".to(np.{dtype})"
