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
