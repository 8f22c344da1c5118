"""Shape Functions: reshape, permute, expand, squeeze, concatenation and splitting."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class Reshape(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        dims = tuple(d % a.ndim for d in dims)
        if sorted(dims) != list(range(a.ndim)):
            raise ValueError(f"permute dims {dims} are not a permutation of {a.ndim} axes")
        ctx.inverse = tuple(np.argsort(dims))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad.transpose(ctx.inverse), None


class Expand(Function):
    """Broadcast to a larger shape (-1 keeps a size) as a read-only view, like PyTorch."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        offset = len(shape) - a.ndim
        if offset < 0:
            raise ValueError(
                f"expand to {shape}: the target needs at least {a.ndim} sizes "
                f"(tensor shape {a.shape})"
            )
        target = tuple(
            a.shape[i - offset] if size == -1 and i >= offset else size
            for i, size in enumerate(shape)
        )
        for i, size in enumerate(a.shape):
            if size != 1 and size != target[i + offset]:
                raise ValueError(
                    f"expand: size {size} of dim {i} (tensor shape {a.shape}) cannot become "
                    f"{target[i + offset]}; only size-1 dims can be expanded (target {shape})"
                )
        if any(size < 0 for size in target):
            raise ValueError(f"expand: -1 is not allowed for the new leading dims of {shape}")
        return np.broadcast_to(a, target)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad, None  # the engine sums the broadcast axes back


class Concatenate(Function):
    """cat along `dim`: inputs come as separate arguments after `dim`."""

    @staticmethod
    def forward(ctx: Context, dim: int, *arrays: np.ndarray) -> np.ndarray:
        axis = dim % arrays[0].ndim
        ctx.axis = axis
        ctx.boundaries = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return (None, *np.split(grad, ctx.boundaries, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx: Context, dim: int, *arrays: np.ndarray) -> np.ndarray:
        out = np.stack(arrays, axis=dim)
        ctx.axis = dim % out.ndim
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return (None, *np.moveaxis(grad, ctx.axis, 0))  # views, no copies


class Split(Function):
    """Split along `dim` at the given section sizes: one output per section."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, sizes: tuple[int, ...], dim: int):
        axis = dim % a.ndim
        ctx.axis = axis
        return tuple(np.split(a, np.cumsum(sizes)[:-1], axis=axis))

    @staticmethod
    def backward(ctx: Context, *grads: np.ndarray):
        return np.concatenate(grads, axis=ctx.axis), None, None
