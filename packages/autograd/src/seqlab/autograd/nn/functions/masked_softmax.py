"""Softmax over the last axis where masked-out positions get exactly zero weight.

Attention needs it: padded source positions must receive no probability and no gradient, and a
`masked_fill(-inf)` + `softmax` pair costs two extra passes over the scores.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class MaskedSoftmax(Function):
    """softmax(scores) over the last axis, restricted to positions where `keep` is True.

    `keep` broadcasts against the scores; every row must keep at least one position.
    """

    @staticmethod
    def forward(ctx: Context, scores: np.ndarray, keep: np.ndarray) -> np.ndarray:
        keep = np.broadcast_to(keep, scores.shape)
        if not keep.any(axis=-1).all():
            raise ValueError("masked_softmax: every row must keep at least one position")
        shifted = np.where(keep, scores, -np.inf)
        shifted -= shifted.max(axis=-1, keepdims=True)
        out = np.exp(shifted)  # exp(-inf) = 0 at masked positions
        out /= out.sum(axis=-1, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        # masked positions have out == 0, so they get zero gradient
        inner = (grad * out).sum(axis=-1, keepdims=True)
        return out * (grad - inner), None
