"""Embedding lookup as a Function: row gather forward, scatter-add backward (kernels)."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function
from seqlab.autograd.nn.functions import backend


class EmbeddingLookup(Function):
    """weight[indices]; the gradient of row padding_idx stays zero (-1 means no padding)."""

    @staticmethod
    def forward(ctx: Context, weight: np.ndarray, indices: np.ndarray,
                padding_idx: int) -> np.ndarray:
        weight = np.ascontiguousarray(weight)
        flat = np.ascontiguousarray(indices.reshape(-1), dtype=np.int64)
        out = np.empty((flat.shape[0], weight.shape[1]), dtype=weight.dtype)
        bad = backend.embedding_forward(weight, flat, out)
        if bad >= 0:
            raise IndexError(
                f"embedding index {int(flat[bad])} is out of range for {weight.shape[0]} "
                f"embeddings: indices must be in [0, {weight.shape[0]})"
            )
        ctx.save_for_backward(flat)
        ctx.weight_shape, ctx.padding_idx = weight.shape, padding_idx
        return out.reshape((*indices.shape, weight.shape[1]))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (flat,) = ctx.saved_tensors
        grad_rows = np.ascontiguousarray(grad.reshape(flat.shape[0], -1))
        grad_weight = np.empty(ctx.weight_shape, dtype=grad.dtype)
        backend.embedding_backward(grad_rows, flat, ctx.padding_idx, grad_weight)
        return grad_weight, None, None
