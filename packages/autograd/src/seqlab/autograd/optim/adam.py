"""`Adam` and `AdamW` (decoupled weight decay), with optional AMSGrad."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.kernels.adam import adam_update
from seqlab.autograd.optim.optimizer import Optimizer, ParamsT
from seqlab.autograd.threads import for_ranges

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Adam(Optimizer):
    """torch.optim.Adam: bias-corrected moment estimates; θ -= γ m̂ / (sqrt(v̂) + ε)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        beta1, beta2 = group["betas"]
        if not 0.0 <= beta1 < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {beta1} (must be in [0, 1))")
        if not 0.0 <= beta2 < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {beta2} (must be in [0, 1))")
        if group["eps"] < 0.0:
            raise ValueError(f"Invalid epsilon value: {group['eps']} (must be >= 0)")
        if group["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (must be >= 0)")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        amsgrad = group["amsgrad"]
        kernel_updates = []
        for param in group["params"]:
            grad = param.grad
            if grad is None:
                continue
            data = param.data
            state = self.state.get(param)
            if not state:
                state = self.state[param] = {
                    "step": 0,
                    "exp_avg": aligned.zeros(data.shape, data.dtype),
                    "exp_avg_sq": aligned.zeros(data.shape, data.dtype),
                }
            if amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = aligned.zeros(data.shape, data.dtype)
            state["step"] += 1
            step = state["step"]
            arrays = (data, state["exp_avg"], state["exp_avg_sq"],
                      state.get("max_exp_avg_sq", state["exp_avg_sq"]))
            if data.dtype in _KERNEL_DTYPES and all(
                    array.flags.c_contiguous and array.dtype == data.dtype for array in arrays):
                kernel_updates.append(_kernel_update(arrays, grad, group, step))
                continue
            # NumPy path (non-contiguous or other dtypes), the kernel's reference
            if group["maximize"]:
                grad = -grad
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    data *= 1.0 - lr * weight_decay
                else:
                    grad = grad + weight_decay * data
            exp_avg = state["exp_avg"]
            exp_avg_sq = state["exp_avg_sq"]
            exp_avg *= beta1
            exp_avg += (1.0 - beta1) * grad
            scratch = np.multiply(grad, grad, dtype=data.dtype)
            scratch *= 1.0 - beta2
            exp_avg_sq *= beta2
            exp_avg_sq += scratch
            if amsgrad:
                second_moment = state["max_exp_avg_sq"]
                np.maximum(second_moment, exp_avg_sq, out=second_moment)
            else:
                second_moment = exp_avg_sq
            step_size = lr / (1.0 - beta1**step)
            # denominator = sqrt(v) / sqrt(1 - β2^t) + ε, built in the scratch buffer
            np.sqrt(second_moment, out=scratch)
            scratch /= math.sqrt(1.0 - beta2**step)
            scratch += eps
            np.divide(exp_avg, scratch, out=scratch)
            scratch *= step_size
            data -= scratch
        # every parameter's update at once, split evenly over seqlab's threads
        for_ranges([size for size, _ in kernel_updates],
                   lambda item, start, stop: kernel_updates[item][1](start, stop))


def _kernel_update(arrays: tuple, grad: np.ndarray, group: dict[str, Any],
                   step: int) -> tuple[int, Any]:
    """(size, update(start, stop)): one Adam step of a contiguous float parameter's range."""
    data = arrays[0]
    flat = [array.reshape(-1) for array in arrays]
    grad = np.ascontiguousarray(grad, dtype=data.dtype).reshape(-1)
    cast = data.dtype.type
    lr, (beta1, beta2) = group["lr"], group["betas"]
    scalars = (cast(beta1), cast(1.0 - beta1), cast(beta2), cast(1.0 - beta2),
               cast(group["weight_decay"]), cast(1.0 - lr * group["weight_decay"]),
               cast(math.sqrt(1.0 - beta2**step)), cast(group["eps"]),
               cast(lr / (1.0 - beta1**step)), bool(group["maximize"]),
               bool(group["decoupled_weight_decay"]), bool(group["amsgrad"]))

    def update(start: int, stop: int) -> None:
        adam_update(flat[0], grad, flat[1], flat[2], flat[3], start, stop, *scalars)

    return data.size, update


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay θ *= 1 - γλ before the Adam step."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
