"""Matrix product with NumPy's (and PyTorch's) batching and 1-D rules."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class MatMul(Function):
    """`a @ b`: a 1-D `a` acts as a row and a 1-D `b` as a column, batch dims broadcast."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # Each operand only for the other's gradient (a write into it is then allowed).
        needs = ctx.needs_input_grad
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        ctx.ndims = (a.ndim, b.ndim)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_tensors
        a_ndim, b_ndim = ctx.ndims
        # Restore the size-1 dims that the 1-D rules removed, so both products are plain
        # batched matrix products; the engine sums broadcast batch dims back.
        if b_ndim == 1:
            grad = grad[..., None]
        if a_ndim == 1:
            grad = grad[..., None, :]
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            b_matrix = b[:, None] if b_ndim == 1 else b
            grad_a = np.matmul(grad, np.swapaxes(b_matrix, -1, -2))
            if a_ndim == 1:
                grad_a = grad_a[..., 0, :]
        if ctx.needs_input_grad[1]:
            a_matrix = a[None, :] if a_ndim == 1 else a
            grad_b = np.matmul(np.swapaxes(a_matrix, -1, -2), grad)
            if b_ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b
