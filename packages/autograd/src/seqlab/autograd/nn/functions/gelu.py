"""GELU, exact (erf) or with PyTorch's tanh approximation."""

from __future__ import annotations

import math

import numpy as np

from seqlab.autograd.function import Context, Function

APPROXIMATIONS = ("none", "tanh")
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_SCALE = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


class Gelu(Function):
    """x * Phi(x) ('none'), or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) ('tanh')."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, approximate: str) -> np.ndarray:
        from scipy.special import erf  # here, so importing nn.functional does not load SciPy

        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = np.tanh(_TANH_SCALE * (x + _TANH_CUBIC * x * x * x))
            return (0.5 * x * (1.0 + inner)).astype(x.dtype, copy=False)
        return (0.5 * x * (1.0 + erf(x * _SQRT_HALF))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        from scipy.special import erf

        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = np.tanh(_TANH_SCALE * (x + _TANH_CUBIC * x * x * x))
            slope = _TANH_SCALE * (1.0 + 3.0 * _TANH_CUBIC * x * x)
            derivative = 0.5 * (1.0 + inner) + 0.5 * x * (1.0 - inner * inner) * slope
        else:
            derivative = (0.5 * (1.0 + erf(x * _SQRT_HALF))
                          + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x))
        return (grad * derivative).astype(grad.dtype, copy=False), None
