"""Constant padding (and, with negative widths, cropping) of trailing dims."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


def _regions(shape: tuple[int, ...], widths: tuple[tuple[int, int], ...]
             ) -> tuple[tuple[int, ...], tuple[slice, ...], tuple[slice, ...]]:
    """(output shape, source slices, destination slices) for (before, after) widths per dim."""
    out_shape, source, destination = [], [], []
    for size, (before, after) in zip(shape, widths):
        new_size = size + before + after
        if new_size < 0:
            raise ValueError(
                f"pad: widths ({before}, {after}) leave a dim of size {size} with "
                f"{new_size} elements"
            )
        start, stop = max(-before, 0), size - max(-after, 0)
        kept = max(stop - start, 0)
        out_shape.append(new_size)
        source.append(slice(start, start + kept))
        destination.append(slice(max(before, 0), max(before, 0) + kept))
    return tuple(out_shape), tuple(source), tuple(destination)


class ConstantPad(Function):
    """`widths[d] = (before, after)` elements of `value` around dim d; negative widths crop."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, widths: tuple[tuple[int, int], ...],
                value: float) -> np.ndarray:
        out_shape, source, destination = _regions(x.shape, widths)
        out = np.full(out_shape, value, dtype=x.dtype)
        out[destination] = x[source]
        ctx.input_shape, ctx.source, ctx.destination = x.shape, source, destination
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        grad_x = np.zeros(ctx.input_shape, dtype=grad.dtype)
        grad_x[ctx.source] = grad[ctx.destination]
        return grad_x, None, None
