"""Compare analytic gradients with central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from seqlab.autograd.grad_mode import no_grad
from seqlab.autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numerical one."""


def _weighted_sum(fn: Callable[..., Any], inputs: Sequence[Any],
                  cotangents: list[np.ndarray] | None) -> tuple[Tensor, list[np.ndarray]]:
    """sum(w * out) over fn's floating-point outputs, with fixed random weights w."""
    outputs = fn(*inputs)
    outputs = outputs if isinstance(outputs, tuple | list) else (outputs,)
    outputs = [o for o in outputs if isinstance(o, Tensor) and o.dtype.kind == "f"]
    if not outputs:
        raise GradcheckError("gradcheck: fn returned no floating-point Tensor output")
    if cotangents is None:
        rng = np.random.default_rng(0)
        cotangents = [rng.standard_normal(o.shape).astype(o.dtype) for o in outputs]
    total = None
    for out, weight in zip(outputs, cotangents, strict=True):
        term = (out * weight).sum()
        total = term if total is None else total + term
    return total, cotangents


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check the gradients of `fn` at `inputs` against central differences.

    Every float64 Tensor input with requires_grad is checked: its analytic gradient of
    sum(w * fn(*inputs)) (w random, fixed) must match the numerical one within atol + rtol *
    |numerical|. Returns True, or raises GradcheckError naming the input and worst index.
    """
    inputs = list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise GradcheckError("gradcheck: no input Tensor has requires_grad=True")
    for position in checked:
        if inputs[position].dtype != np.float64:
            raise GradcheckError(
                f"gradcheck: input {position} is {inputs[position].dtype}; finite differences "
                "need float64 inputs (use .double())"
            )
        inputs[position].grad = None
    total, cotangents = _weighted_sum(fn, inputs, None)
    if not total.requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any checked input")
    total.backward()
    for position in checked:
        tensor = inputs[position]
        analytic = np.zeros(tensor.shape) if tensor.grad is None else tensor.grad
        numeric = np.zeros(tensor.shape)
        data = tensor.data
        with no_grad():
            for index in np.ndindex(tensor.shape):
                original = data[index]
                data[index] = original + eps
                plus = _weighted_sum(fn, inputs, cotangents)[0].item()
                data[index] = original - eps
                minus = _weighted_sum(fn, inputs, cotangents)[0].item()
                data[index] = original
                numeric[index] = (plus - minus) / (2 * eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), tensor.shape)
            raise GradcheckError(
                f"gradient of input {position} (shape {tensor.shape}) differs at index "
                f"{tuple(int(i) for i in worst)}: analytic {analytic[worst]!r}, numerical "
                f"{numeric[worst]!r}"
            )
    return True
