"""Ops that walk one axis in order: cumulative sum and flip (each backward is its own kind)."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class Cumsum(Function):
    """`torch.cumsum(a, dim)`: out[i] = a[0] + ... + a[i] along `axis`; the gradient of a[j] is
    the sum of the output's gradient from j to the end (a reversed cumulative sum)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: int) -> np.ndarray:
        ctx.axis = axis
        # integers and bools sum as int64, as PyTorch's (NumPy keeps int32 on some platforms)
        dtype = np.int64 if a.dtype.kind in "biu" else a.dtype
        return np.cumsum(a, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        reversed_sums = np.cumsum(np.flip(grad, ctx.axis), axis=ctx.axis)
        return np.ascontiguousarray(np.flip(reversed_sums, ctx.axis)), None


class Flip(Function):
    """`torch.flip(a, dims)`: the order of `axes` reversed, as a copy (not a view)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        ctx.axes = axes
        return np.flip(a, axes).copy()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return np.flip(grad, ctx.axes).copy(), None
