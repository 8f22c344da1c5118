"""Matrix product with NumPy's (and PyTorch's) batching and 1-D rules."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class MatMul(Function):
    """`a @ b`: a 1-D `a` acts as a row and a 1-D `b` as a column, batch dims broadcast."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_tensors
        # Restore the size-1 dims that the 1-D rules removed, so both products are plain
        # batched matrix products; the engine sums broadcast batch dims back.
        if b.ndim == 1:
            grad, b = grad[..., None], b[:, None]
        if a.ndim == 1:
            grad, a_matrix = grad[..., None, :], a[None, :]
        else:
            a_matrix = a
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = np.matmul(grad, np.swapaxes(b, -1, -2))
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if ctx.needs_input_grad[1]:
            grad_b = np.matmul(np.swapaxes(a_matrix, -1, -2), grad)
            if ctx.saved_tensors[1].ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b
