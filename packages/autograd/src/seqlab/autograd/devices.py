"""PyTorch's `.to(...)` arguments for tensors and modules: a device, a dtype, both, or a
tensor whose dtype to take. seqlab runs on the CPU: "cpu" moves nothing, any other device is
one clear error naming it."""

from __future__ import annotations

from typing import Any

import numpy as np

# The device types PyTorch names (`torch.device("cuda:0")` is spelled "cuda:0").
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "mtia")
_TO_KEYWORDS = ("device", "dtype", "non_blocking", "copy")


def is_device(value: Any) -> bool:
    """Whether `value` spells a PyTorch device ("cpu", "cuda:1", ...)."""
    return isinstance(value, str) and value.split(":")[0] in DEVICE_TYPES


def check_device(device: Any) -> None:
    """Accept the CPU; ValueError naming any other device."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(f"device {str(device)!r}: seqlab runs on the CPU only; use "
                         ".to('cpu') or leave it where it is")


def to_arguments(owner: str, args: tuple, kwargs: dict) -> tuple[np.dtype | None, bool]:
    """(the dtype to cast to, or None to keep it; whether a copy was asked for) from PyTorch's
    `.to(device)`, `.to(dtype)`, `.to(device, dtype)`, `.to(tensor)` and the keywords
    device, dtype, non_blocking (nothing to wait for on the CPU) and copy; the device is
    checked (`check_device`). `owner` names the call in errors ("Tensor.to")."""
    unknown = sorted(set(kwargs) - set(_TO_KEYWORDS))
    if unknown:
        raise TypeError(f"{owner}() got an unexpected keyword argument {unknown[0]!r}")
    if len(args) > 2:
        raise TypeError(f"{owner}() takes a device, a dtype or a tensor, got {len(args)} "
                        "arguments")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for value in args:
        if is_device(value):
            device = value
        elif not isinstance(value, (type, np.dtype, str)) and hasattr(value, "shape"):
            dtype = value.dtype  # .to(other): a tensor's dtype
        else:
            dtype = value
    check_device(device)
    return (None if dtype is None else np.dtype(dtype)), bool(kwargs.get("copy", False))
