"""Softplus log(1 + exp(beta x)) / beta, linear above PyTorch's threshold."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class Softplus(Function):
    """x where beta * x > threshold, else log(1 + exp(beta x)) / beta (without overflow)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        scaled = x * beta
        linear = scaled > threshold
        smooth = (np.maximum(scaled, 0) + np.log1p(np.exp(-np.abs(scaled)))) / beta
        ctx.save_for_backward(scaled, linear)
        return np.where(linear, x, smooth).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        scaled, linear = ctx.saved_tensors
        exp_neg_abs = np.exp(-np.abs(scaled))
        sigmoid = np.where(scaled >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs))
        return (grad * np.where(linear, 1.0, sigmoid)).astype(grad.dtype, copy=False), None, None
