"""Layer normalisation over the trailing dims, with its closed-form backward."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class LayerNormalize(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last `dims` axes (biased var)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                dims: int, eps: float) -> np.ndarray:
        axes = tuple(range(x.ndim - dims, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        inv_std = 1.0 / np.sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
        normalized = (centered * inv_std).astype(x.dtype, copy=False)
        out = normalized
        if weight is not None:
            out = out * weight
        if bias is not None:
            out = out + bias
        ctx.save_for_backward(normalized, inv_std, weight)
        ctx.axes = axes
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        normalized, inv_std, weight = ctx.saved_tensors
        axes = ctx.axes
        lead = tuple(range(grad.ndim - len(axes)))
        grad_weight = (grad * normalized).sum(axis=lead) if ctx.needs_input_grad[1] else None
        grad_bias = grad.sum(axis=lead) if ctx.needs_input_grad[2] else None
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_normalized = grad * weight if weight is not None else grad
            # d/dx of (x - mean) * inv_std, through both the mean and the variance
            grad_x = inv_std * (
                grad_normalized
                - grad_normalized.mean(axis=axes, keepdims=True)
                - normalized * (grad_normalized * normalized).mean(axis=axes, keepdims=True)
            )
        return grad_x, grad_weight, grad_bias, None, None
