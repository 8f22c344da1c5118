"""Indexing: basic slices and integer-array (advanced) indices, and masked writes."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd.function import Context, Function


def has_advanced_index(index: Any) -> bool:
    """True when the index contains an array or list (so positions may repeat)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


class GetItem(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: Any) -> np.ndarray:
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        return a[index]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        if has_advanced_index(ctx.index):
            np.add.at(out, ctx.index, grad)  # repeated indices accumulate
        else:
            out[ctx.index] = grad
        return out, None
