"""`x @ W.T + b` over any leading dims as one GEMM each way."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function
from seqlab.autograd.threads import matmul, matmuls


class LinearMap(Function):
    """Affine map of the last dim: input (..., in), weight (out, in), bias (out,) or None."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray,
                bias: np.ndarray | None) -> np.ndarray:
        rows = x.reshape(-1, x.shape[-1])
        out = matmul(rows, weight.T)
        if bias is not None:
            out += bias
        ctx.save_for_backward(rows if ctx.needs_input_grad[1] else None,
                              weight if ctx.needs_input_grad[0] else None)
        ctx.input_shape = x.shape
        return out.reshape((*x.shape[:-1], weight.shape[0]))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        rows, weight = ctx.saved_tensors
        grad_rows = grad.reshape(-1, grad.shape[-1])
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0] and ctx.needs_input_grad[1]:
            grad_x, grad_weight = matmuls([(grad_rows, weight), (grad_rows.T, rows)])
            grad_x = grad_x.reshape(ctx.input_shape)
        elif ctx.needs_input_grad[0]:
            grad_x = matmul(grad_rows, weight).reshape(ctx.input_shape)
        elif ctx.needs_input_grad[1]:
            grad_weight = matmul(grad_rows.T, rows)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_rows.sum(axis=0)
        return grad_x, grad_weight, grad_bias
