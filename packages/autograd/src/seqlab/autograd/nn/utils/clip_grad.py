"""Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from seqlab.autograd.kernels.sum_of_squares import sum_of_squares
from seqlab.autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _gradients(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> np.float64:
    """Scale all gradients together so that their joint norm is at most max_norm.

    The norm is taken over all gradients as one vector; they are multiplied by
    min(1, max_norm / (total_norm + 1e-6)), as PyTorch does. Returns the norm before clipping
    as a NumPy float64: gradients are NumPy arrays (DESIGN.md), so their norm is a NumPy
    scalar, and it has the `.item()` that PyTorch code calls on the returned tensor while
    still being a Python float. `foreach` (PyTorch's choice of multi-tensor kernels) is
    accepted and changes nothing: there is one implementation.
    """
    grads = _gradients(parameters)
    if not grads:
        return np.float64(0.0)
    norm_type = float(norm_type)
    if norm_type == math.inf:
        # np.max, not Python's max: a NaN in any gradient makes the norm NaN (max(x, nan) is x)
        total = float(np.max([np.max(np.abs(g)) if g.size else 0.0 for g in grads]))
    elif norm_type == 2.0 and all(g.dtype in _KERNEL_DTYPES for g in grads):
        total = math.sqrt(sum(sum_of_squares(g.reshape(-1)) for g in grads))
    else:
        per_grad = [np.linalg.norm(g.reshape(-1).astype(np.float64), ord=norm_type) for g in grads]
        total = float(np.linalg.norm(np.asarray(per_grad), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients is non-finite ({total}), so it "
            "cannot be clipped. Pass error_if_nonfinite=False to clip anyway."
        )
    clip_coefficient = min(float(max_norm) / (total + 1e-6), 1.0)
    if clip_coefficient < 1.0 or not math.isfinite(total):
        with np.errstate(invalid="ignore"):  # inf * 0 = nan, as in PyTorch
            for grad in grads:
                grad *= np.asarray(clip_coefficient, dtype=grad.dtype)
    return np.float64(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clip every gradient element into [-clip_value, clip_value] in place (`foreach`, as
    in `clip_grad_norm_`, changes nothing)."""
    clip_value = float(clip_value)
    for grad in _gradients(parameters):
        np.clip(grad, -clip_value, clip_value, out=grad)
