"""Elementwise binary cross-entropy on logits, stable for logits of any size."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


def _softplus_of_negative(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(-x)) without overflow: max(-x, 0) + log1p(exp(-|x|))."""
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    exp_neg_abs = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs))


class BinaryCrossEntropyWithLogits(Function):
    """(1 - t) * x + (1 + (pos_weight - 1) * t) * log(1 + exp(-x)), elementwise."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, target: np.ndarray,
                pos_weight: np.ndarray | None) -> np.ndarray:
        softplus = _softplus_of_negative(x)
        if pos_weight is None:
            out = (1 - target) * x + softplus
        else:
            out = (1 - target) * x + (1 + (pos_weight - 1) * target) * softplus
        ctx.save_for_backward(x, target, pos_weight, softplus)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        x, target, pos_weight, softplus = ctx.saved_tensors
        grad_x = grad_target = None
        if ctx.needs_input_grad[0]:
            if pos_weight is None:
                grad_x = grad * (_sigmoid(x) - target)
            else:
                log_weight = 1 + (pos_weight - 1) * target
                grad_x = grad * ((1 - target) - log_weight * _sigmoid(-x))
        if ctx.needs_input_grad[1]:
            grad_target = grad * (-x if pos_weight is None else -x + (pos_weight - 1) * softplus)
        return grad_x, grad_target, None


# PyTorch's floor on x (1 - x) in the gradient is the float32 constant 1e-12
_GRADIENT_FLOOR = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """-w (t log x + (1 - t) log(1 - x)) on probabilities x, each log clamped at -100 and the
    input gradient w (x - t) / max(x (1 - x), 1e-12), as PyTorch computes them (the target
    gradient w (log(1 - x) - log x) is not clamped: infinite at x = 0 or 1, as in PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, target: np.ndarray,
                weight: np.ndarray | None) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_rest = np.maximum(np.log1p(-x), -100.0)
        out = -(target * log_x + (1 - target) * log_rest)
        if weight is not None:
            out = out * weight
        ctx.save_for_backward(x, target, weight)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        x, target, weight = ctx.saved_tensors
        if weight is not None:
            grad = grad * weight
        grad_x = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_x = grad * (x - target) / np.maximum((1 - x) * x, _GRADIENT_FLOOR)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_target = grad * (np.log1p(-x) - np.log(x))
        return grad_x, grad_target, None
