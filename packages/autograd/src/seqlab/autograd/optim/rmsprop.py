"""`RMSprop`: divide by a running root-mean-square of the gradient, optionally centred."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.optim.optimizer import Optimizer, ParamsT


class RMSprop(Optimizer):
    """torch.optim.RMSprop: v = αv + (1-α)g²; θ -= γ g / (sqrt(v - centred mean²) + ε)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        for name in ("alpha", "eps", "weight_decay", "momentum"):
            if group[name] < 0.0:
                raise ValueError(f"Invalid {name} value: {group[name]} (must be >= 0)")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        alpha = group["alpha"]
        weight_decay = group["weight_decay"]
        momentum = group["momentum"]
        for param in group["params"]:
            grad = param.grad
            if grad is None:
                continue
            data = param.data
            state = self.state.get(param)
            if not state:
                state = self.state[param] = {
                    "step": 0, "square_avg": aligned.zeros(data.shape, data.dtype)}
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = aligned.zeros(data.shape, data.dtype)
            if group["centered"] and "grad_avg" not in state:
                state["grad_avg"] = aligned.zeros(data.shape, data.dtype)
            state["step"] += 1
            if group["maximize"]:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * data
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1.0 - alpha) * np.square(grad)
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg *= alpha
                grad_avg += (1.0 - alpha) * grad
                denominator = square_avg - np.square(grad_avg)
                # Mathematically >= 0; clamp the round-off that would otherwise give NaN.
                np.maximum(denominator, 0.0, out=denominator)
                np.sqrt(denominator, out=denominator)
            else:
                denominator = np.sqrt(square_avg)
            denominator += group["eps"]
            np.divide(grad, denominator, out=denominator)
            if momentum > 0:
                buffer = state["momentum_buffer"]
                buffer *= momentum
                buffer += denominator
                data -= lr * buffer
            else:
                denominator *= lr
                data -= denominator
