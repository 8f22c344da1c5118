"""Compare analytic gradients with central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from seqlab.autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numerical one."""


def _scalar_output(fn: Callable[..., Tensor], inputs: Sequence[Tensor],
                   cotangents: list[np.ndarray] | None) -> tuple[Tensor, list[np.ndarray]]:
    outputs = fn(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    outputs = tuple(o for o in outputs if isinstance(o, Tensor) and o.dtype.kind == "f")
    if cotangents is None:
        rng = np.random.default_rng(0)
        cotangents = [rng.standard_normal(o.shape) for o in outputs]
    total = None
    for out, weight in zip(outputs, cotangents, strict=True):
        term = (out * weight.astype(out.dtype)).sum()
        total = term if total is None else total + term
    return total, cotangents


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check d(sum(w * fn(*inputs)))/d input against central differences for each input
    that requires a gradient (float64 inputs recommended). Raises GradcheckError on mismatch."""
    inputs = list(inputs)
    for tensor in inputs:
        if isinstance(tensor, Tensor):
            tensor.grad = None
    total, cotangents = _scalar_output(fn, inputs, None)
    total.backward()
    for position, tensor in enumerate(inputs):
        if not (isinstance(tensor, Tensor) and tensor.requires_grad):
            continue
        if tensor.dtype != np.float64:
            raise GradcheckError(f"input {position} is {tensor.dtype}; gradcheck needs float64")
        analytic = np.zeros(tensor.shape) if tensor.grad is None else tensor.grad
        numeric = np.zeros(tensor.shape)
        flat = tensor.data.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = _scalar_output(fn, inputs, cotangents)[0].item()
            flat[i] = original - eps
            minus = _scalar_output(fn, inputs, cotangents)[0].item()
            flat[i] = original
            numeric.reshape(-1)[i] = (plus - minus) / (2 * eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), tensor.shape)
            raise GradcheckError(
                f"gradient of input {position} differs at index {worst}: analytic "
                f"{analytic[worst]!r}, numerical {numeric[worst]!r}"
            )
    return True
