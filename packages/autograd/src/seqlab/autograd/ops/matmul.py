"""Matrix product with NumPy's (and PyTorch's) batching and 1-D rules."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class MatMul(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = np.matmul(g, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                grad_a = grad_a.reshape((*grad_a.shape[:-2], a.shape[0]))
                grad_a = grad_a.reshape(-1, a.shape[0]).sum(axis=0)
        if ctx.needs_input_grad[1]:
            grad_b = np.matmul(np.swapaxes(a2, -1, -2), g)
            if b.ndim == 1:
                grad_b = grad_b.reshape(-1, b.shape[0]).sum(axis=0)
        return grad_a, grad_b
