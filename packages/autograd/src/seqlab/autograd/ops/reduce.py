"""Reductions over `dim` with `keepdim`, and the numerically stable softmax family."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


def normalize_dims(dim: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; None means all axes.

    A 0-d tensor accepts dim 0 or -1 (as in PyTorch) and has no axis to reduce.
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    bound = max(ndim, 1)
    out = set()
    for d in dims:
        if not -bound <= d < bound:
            raise IndexError(
                f"dim {d} is out of range for a tensor with {ndim} dimensions "
                f"(allowed {-bound}..{bound - 1})"
            )
        if ndim:
            out.add(int(d) % ndim)
    return tuple(sorted(out))


def reduction_dims(dim: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """`normalize_dims` for sum/mean/var/std: an empty `dim` (`()` or `[]`) means every dim,
    as in PyTorch (not none)."""
    if type(dim) in (tuple, list) and not dim:
        dim = None
    return normalize_dims(dim, ndim)


def refuse_non_float(dtype: np.dtype, problem: str) -> None:
    """Refuse mean/var/std of an integer or bool tensor, as PyTorch does: `problem` (the
    caller's own wording, PyTorch's), then the dtype found and the conversion to make."""
    if dtype.kind not in "fc":
        raise RuntimeError(f"{problem}, got {dtype}; convert first with .float() or .double()")


def expand_reduced(grad: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...],
                   keepdim: bool) -> np.ndarray:
    """Re-insert reduced axes of `grad` (when keepdim was False) and broadcast to `shape`."""
    if not keepdim and axes:
        grad = grad.reshape([1 if i in axes else size for i, size in enumerate(shape)])
    # A materialised array costs one write per element; np.broadcast_to costs several
    # microseconds of Python per call, which dominates for the small arrays of a training step.
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


class Sum(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim, keepdim: bool) -> np.ndarray:
        axes = reduction_dims(dim, a.ndim)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdim), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim, keepdim: bool) -> np.ndarray:
        refuse_non_float(a.dtype, "mean(): could not infer output dtype: input dtype must be a "
                         "floating point or complex dtype")
        axes = reduction_dims(dim, a.ndim)
        count = 1
        for axis in axes:
            count *= a.shape[axis]
        ctx.shape, ctx.axes, ctx.keepdim, ctx.count = a.shape, axes, keepdim, count
        # A Python int divisor keeps float32 sums in float32 (np.mean is slower here).
        if count == 0:
            with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in PyTorch
                return a.sum(axis=axes, keepdims=keepdim) / count
        return a.sum(axis=axes, keepdims=keepdim) / count

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return expand_reduced(grad / ctx.count, ctx.shape, ctx.axes, ctx.keepdim), None, None


def refuse_empty(a: np.ndarray, name: str) -> None:
    """A full max/min of nothing has no value: PyTorch's one line, asking for `dim`."""
    if a.size == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )


def extreme_positions(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Where `a` equals its reduced extreme `out` (kept dims); where the extreme is NaN, the
    NaN positions (`nan == nan` is never true), as PyTorch's backward of max()."""
    mask = a == out
    nan_extremes = np.isnan(out) if a.dtype.kind in "fc" else None
    if nan_extremes is not None and nan_extremes.any():
        mask |= np.isnan(a) & nan_extremes
    return mask


class Extreme(Function):
    """max or min over `dim` (every dim when None or empty) without indices, as PyTorch's
    `max()` and `amax`/`amin`: ties share the gradient equally, and a slice whose extreme
    is NaN sends it to its NaN positions."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, use_max: bool, dim=None,
                keepdim: bool = False) -> np.ndarray:
        axes = reduction_dims(dim, a.ndim)
        if a.size == 0 and (dim is None or any(a.shape[axis] == 0 for axis in axes)):
            refuse_empty(a, ("max" if use_max else "min") if dim is None else
                         ("amax" if use_max else "amin"))
        out = a.max(axis=axes, keepdims=True) if use_max else a.min(axis=axes, keepdims=True)
        ctx.save_for_backward(extreme_positions(a, out))
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else out.reshape([size for i, size in enumerate(out.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (mask,) = ctx.saved_tensors
        counts = mask.sum(axis=ctx.axes, keepdims=True)
        if not ctx.keepdim:
            grad = grad.reshape(counts.shape)
        return grad * mask / counts.astype(grad.dtype), None, None, None


class ExtremeAlongDim(Function):
    """max or min along one dim: (values, indices); the gradient goes to the chosen index."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int, keepdim: bool, use_max: bool):
        (axis,) = normalize_dims(dim, a.ndim)
        indices = np.argmax(a, axis=axis) if use_max else np.argmin(a, axis=axis)
        indices = np.expand_dims(indices, axis)
        values = np.take_along_axis(a, indices, axis=axis)
        ctx.save_for_backward(indices)
        ctx.shape, ctx.axis, ctx.keepdim = a.shape, axis, keepdim
        if not keepdim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return values, indices.astype(np.int64)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray, grad_indices: np.ndarray):
        (indices,) = ctx.saved_tensors
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.axis)
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(out, indices, grad, axis=ctx.axis)
        return out, None, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim, keepdim: bool) -> np.ndarray:
        if type(dim) in (tuple, list) and not dim:
            raise RuntimeError("logsumexp: dim=() names no dimension to reduce (PyTorch refuses "
                               "it too); pass the dims, e.g. dim=tuple(range(x.ndim))")
        axes = normalize_dims(dim, a.ndim)
        peak = np.max(a, axis=axes, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        with np.errstate(divide="ignore"):  # a slice of only -inf sums to 0: log gives -inf
            out = np.log(np.sum(np.exp(a - peak), axis=axes, keepdims=True)) + peak
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, out = ctx.saved_tensors
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.axes)
        return grad * np.exp(a - out), None, None


class Softmax(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int) -> np.ndarray:
        (axis,) = normalize_dims(dim, a.ndim)
        peak = a.max(axis=axis, keepdims=True)
        if np.isneginf(peak).any():
            with np.errstate(invalid="ignore"):  # a row of only -inf gives nan, as PyTorch
                shifted = np.exp(a - peak)
                out = shifted / shifted.sum(axis=axis, keepdims=True)
        else:
            shifted = np.exp(a - peak)
            out = shifted / shifted.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        inner = (grad * out).sum(axis=ctx.axis, keepdims=True)
        return out * (grad - inner), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int) -> np.ndarray:
        (axis,) = normalize_dims(dim, a.ndim)
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return grad - np.exp(out) * grad.sum(axis=ctx.axis, keepdims=True), None
