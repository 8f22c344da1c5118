"""Indexing: basic slices, integer-array (advanced) and boolean indices, and gather."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd.function import Context, Function


def has_advanced_index(index: Any) -> bool:
    """True when the index contains an array or list (so positions may repeat)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


def save_index(ctx: Context, index: Any) -> None:
    """Keep an index for backward: its arrays say where the gradient goes. Backward's version
    check refuses them once written in place through a Tensor (PyTorch saves its index
    tensors too), and backward reads a copy of its arrays and lists taken now, as PyTorch
    copies a NumPy index: a caller's plain NumPy write after forward (which no version
    counter sees) does not move the gradient."""
    parts = index if isinstance(index, tuple) else (index,)
    ctx.save_for_backward(*parts)
    copies = tuple(_copied(part) for part in parts)
    ctx.kept_index = copies if isinstance(index, tuple) else copies[0]


def saved_index(ctx: Context) -> Any:
    """The index `save_index` kept, as it was at forward (once backward's version check has
    passed its arrays)."""
    ctx.saved_tensors  # noqa: B018 (the version check)
    return ctx.kept_index


def _copied(part: Any) -> Any:
    """An index part that no later write by the caller changes (O(its size))."""
    if isinstance(part, np.ndarray):
        return part.copy()
    if isinstance(part, list):
        return [_copied(item) for item in part]
    return part


class GetItem(Function):
    """`a[index]`; backward scatter-adds, so repeated integer indices accumulate."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: Any) -> np.ndarray:
        ctx.shape, ctx.index = a.shape, index
        if has_advanced_index(index):
            save_index(ctx, index)
        return a[index]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        if has_advanced_index(ctx.index):
            np.add.at(out, saved_index(ctx), grad)  # repeated indices accumulate
        else:
            out[ctx.index] = grad  # a basic index selects each position at most once
        return out, None


def along_axis_index(index: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """A full integer index that picks `index` along `axis` and every position elsewhere."""
    grids = []
    for dim, size in enumerate(index.shape):
        if dim == axis:
            grids.append(index)
        else:
            shape = [1] * index.ndim
            shape[dim] = size
            grids.append(np.arange(size).reshape(shape))
    return tuple(grids)


class Gather(Function):
    """`torch.gather(a, dim, index)`: out[i][j] = a[i][index[i][j]] along `dim`."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        index = np.asarray(index)
        if index.dtype.kind not in "iu":
            raise TypeError(f"gather index must hold integers, got dtype {index.dtype}")
        if index.ndim != a.ndim:
            raise ValueError(
                f"gather index has {index.ndim} dims but the tensor has {a.ndim}; they must match"
            )
        # PyTorch allows an index smaller than the tensor in the other dims: build full grids.
        full_index = along_axis_index(index, dim % a.ndim)
        ctx.shape, ctx.index = a.shape, full_index
        save_index(ctx, full_index)
        return a[full_index]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, saved_index(ctx), grad)  # an index may pick a position several times
        return out, None, None


class IndexPut(Function):
    """`a[index] = value` recorded in the graph (PyTorch's CopySlices).

    Forward writes into `a`'s array in place and returns it. Backward sends the gradient at the
    written positions to `value` (summed over its broadcast) and masks them out of the
    gradient of `a`'s earlier history, whose values there were overwritten.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: Any, value: Any) -> np.ndarray:
        a[index] = value
        ctx.index = index
        save_index(ctx, index)
        ctx.value_shape = np.shape(value)
        return a

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        grad_a = grad_value = None
        index = saved_index(ctx)
        if ctx.needs_input_grad[0]:
            grad_a = grad.copy()
            grad_a[index] = 0
        if ctx.needs_input_grad[2]:
            grad_value = grad[index]
            missing = len(ctx.value_shape) - grad_value.ndim
            if missing > 0:  # NumPy lets a value with extra leading 1s fill a slot
                grad_value = grad_value.reshape((1,) * missing + grad_value.shape)
        return grad_a, None, grad_value


def _integer_index(index: np.ndarray, name: str) -> np.ndarray:
    index = np.asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name} index must hold integers, got dtype {index.dtype}")
    return index


class IndexSelect(Function):
    """`torch.index_select(a, dim, index)`: the entries of a 1-D `index` along `dim`
    (repeated indices accumulate their gradients)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        index = _integer_index(index, "index_select")
        if index.ndim > 1:
            raise ValueError(f"index_select needs a 0-d or 1-d index, got {index.ndim} dims")
        axis = dim % max(a.ndim, 1)
        ctx.shape, ctx.where = a.shape, (slice(None),) * axis + (index.reshape(-1),)
        return a[ctx.where]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.where, grad)
        return out, None, None


class ScatterAdd(Function):
    """`torch.scatter_add(a, dim, index, src)`, out of place: a copy of `a` with
    src[i][j] added at out[i][index[i][j]] along `dim` (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray
                ) -> np.ndarray:
        index = _integer_index(index, "scatter_add")
        if not index.ndim == a.ndim == np.ndim(src):
            raise ValueError("scatter_add needs the tensor, index and src to have the same "
                             f"number of dims, got {a.ndim}, {index.ndim} and {np.ndim(src)}")
        axis = dim % a.ndim
        fits = all(n <= s for n, s in zip(index.shape, np.shape(src))) and all(
            n <= s for d, (n, s) in enumerate(zip(index.shape, a.shape)) if d != axis)
        if not fits:
            raise ValueError(f"scatter_add index of shape {index.shape} is larger than src "
                             f"{np.shape(src)} or than the tensor {a.shape} outside dim {dim}")
        region = tuple(slice(0, n) for n in index.shape)  # src beyond the index is unused
        full_index = along_axis_index(index, axis)
        out = a.copy()
        np.add.at(out, full_index, src[region])
        ctx.full_index, ctx.region, ctx.src_shape = full_index, region, np.shape(src)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        grad_src = None
        if ctx.needs_input_grad[3]:
            grad_src = np.zeros(ctx.src_shape, dtype=grad.dtype)
            grad_src[ctx.region] = grad[ctx.full_index]
        return grad, None, None, grad_src
