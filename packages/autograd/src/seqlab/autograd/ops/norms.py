"""Standard deviation and vector norms: roots of sums whose backward takes 0/0 as 0.

Composed from var and sqrt, a constant slice (std 0) or an all-zero vector (norm 0) would get
sqrt's inf times 0: NaN gradients that make a whole training step non-finite. PyTorch's
std_backward and norm_backward mask those positions to 0; so do these.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function
from seqlab.autograd.ops.reduce import extreme_positions, reduction_dims


def _restore(grad: np.ndarray, kept_shape: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """`grad` with the reduced dims back as size 1 (to broadcast against the input)."""
    return grad if keepdim else grad.reshape(kept_shape)


def _dropped(out: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """`out` (reduced with kept dims) without them unless `keepdim`."""
    if keepdim:
        return out
    return out.reshape([size for i, size in enumerate(out.shape) if i not in axes])


class Std(Function):
    """Standard deviation over `dim`, divided by N - correction (NaN when N <= correction).

    Its gradient (x - mean) / ((N - correction) * std) is 0 where std is 0, as PyTorch's.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim, keepdim: bool, correction: float
                ) -> np.ndarray:
        axes = reduction_dims(dim, a.ndim)
        count = 1
        for axis in axes:
            count *= a.shape[axis]
        divisor = max(count - correction, 0)
        # NaN for too few, as PyTorch (silently: `Function.apply` runs it in `float_warnings`)
        centered = a - a.sum(axis=axes, keepdims=True) / count
        out = np.sqrt((centered * centered).sum(axis=axes, keepdims=True) / divisor)
        ctx.save_for_backward(centered, out)
        ctx.divisor, ctx.keepdim = divisor, keepdim
        return _dropped(out, axes, keepdim)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        centered, out = ctx.saved_tensors
        scale = _restore(grad, out.shape, ctx.keepdim) / (ctx.divisor * out)
        scale[np.broadcast_to(out == 0, scale.shape)] = 0
        return centered * scale, None, None, None


class Norm(Function):
    """The p-norm over `dim`: (sum |x|**p) ** (1/p); p = inf and -inf are max and min of |x|,
    p = 0 counts the non-zero elements. Backward as PyTorch's norm_backward: 0 where the norm
    is 0, ties of the inf-norms share the gradient."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, p: float, dim, keepdim: bool) -> np.ndarray:
        axes = reduction_dims(dim, a.ndim)
        magnitude = np.abs(a)
        if np.isinf(p):
            extreme = np.max if p > 0 else np.min
            out = extreme(magnitude, axis=axes, keepdims=True)
            ctx.save_for_backward(a, out, extreme_positions(magnitude, out))
        else:
            if p == 0:
                out = (a != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
            elif p == 1:
                out = magnitude.sum(axis=axes, keepdims=True)
            elif p == 2:
                out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
            else:
                # 0 ** negative p: inf, as PyTorch (silently, as `Std`'s NaN)
                out = (magnitude**p).sum(axis=axes, keepdims=True) ** (1 / p)
            ctx.save_for_backward(a, out, None)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return _dropped(out, axes, keepdim)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, out, ties = ctx.saved_tensors
        p = ctx.p
        grad = _restore(grad, out.shape, ctx.keepdim)
        zero_norm = np.broadcast_to(out == 0, a.shape)
        if p == 0:
            grad_a = np.zeros_like(a)
        elif p == 1:
            grad_a = np.sign(a) * grad
        elif np.isinf(p):
            grad_a = np.sign(a) * ties * (grad / ties.sum(axis=ctx.axes, keepdims=True))
        elif p == 2:
            grad_a = a * (grad / out)
            grad_a[zero_norm] = 0
        elif p < 1:
            scaled = np.sign(a) * np.abs(a) ** (p - 1)
            scaled[a == 0] = 0
            grad_a = scaled * grad * out ** (1 - p)
        else:
            scaled = np.sign(a) * np.abs(a) ** (p - 1)
            grad_a = scaled * (grad / out ** (p - 1))
            grad_a[zero_norm] = 0
        return grad_a.astype(a.dtype, copy=False), None, None, None
