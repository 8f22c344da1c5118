"""`Adagrad`: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.optim.optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    """torch.optim.Adagrad: γ̃ = γ / (1 + (t-1)η); s += g²; θ -= γ̃ g / (sqrt(s) + ε)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            if group[name] < 0.0:
                raise ValueError(f"Invalid {name} value: {group[name]} (must be >= 0)")

    def _update_group(self, group: dict[str, Any]) -> None:
        weight_decay = group["weight_decay"]
        for param in group["params"]:
            grad = param.grad
            if grad is None:
                continue
            data = param.data
            state = self.state.get(param)
            if not state:
                state = self.state[param] = {
                    "step": 0,
                    "sum": aligned.full(data.shape, group["initial_accumulator_value"],
                                        data.dtype),
                }
            state["step"] += 1
            if group["maximize"]:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * data
            decayed_lr = group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])
            accumulator = state["sum"]
            accumulator += np.square(grad)
            denominator = np.sqrt(accumulator)
            denominator += group["eps"]
            np.divide(grad, denominator, out=denominator)
            denominator *= decayed_lr
            data -= denominator
