"""max(x, floor) in value only: the gradient passes as if no floor were there.

PyTorch's `cosine_similarity` clamps the two norms in place under no_grad
(`x1_norm.clamp_min_(eps)`): the forward divides by the clamped norm, while the backward still
runs through the norm itself (its `linalg_vector_norm` node). A clamp on the graph would pass no
gradient below `eps` instead.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class FloorInValue(Function):
    """max(x, floor) forward; the gradient unchanged backward."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, floor: float) -> np.ndarray:
        return np.maximum(x, np.asarray(floor, x.dtype))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad, None
