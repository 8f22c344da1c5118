"""seqlab.autograd: reverse-mode autodiff on NumPy arrays, with Numba-jitted hot kernels.

The public names below load on first use (PEP 562), so importing a light submodule such as
`seqlab.autograd.atomic` or `seqlab.autograd.mapped_pages` does not import NumPy's autodiff
stack, Numba and the compiled kernels (about 130 MB of resident memory and 2 s of start-up that
a command writing a tokenizer file never uses). `import seqlab.autograd as ag; ag.tensor(...)`
and `from seqlab.autograd import Tensor, nn` work as before.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# public name -> the submodule that defines it
_EXPORTS = {
    **dict.fromkeys(
        ("arange", "as_generator", "cat", "default_generator", "full", "manual_seed", "ones",
         "ones_like", "rand", "randn", "stack", "tensor", "where", "zeros", "zeros_like"),
        "creation"),
    "Context": "function", "Function": "function",
    "bmm": "contraction", "einsum": "contraction",
    **dict.fromkeys(("enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"),
                    "grad_mode"),
    "GradcheckError": "gradcheck", "gradcheck": "gradcheck",
    "load": "io", "save": "io",
    "Tensor": "tensor",
    "get_num_threads": "threads", "set_num_threads": "threads",
}
_SUBPACKAGES = ("nn", "optim")
_DTYPES = {"float32": "float32", "float64": "float64", "int64": "int64", "int32": "int32",
           "bool_": "bool_"}

__all__ = [
    "Context", "Function", "GradcheckError", "Tensor", "arange", "as_generator", "bmm", "bool_",
    "cat", "default_generator", "einsum", "enable_grad", "float32", "float64", "full",
    "get_num_threads",
    "gradcheck", "int32", "int64", "is_grad_enabled", "load", "manual_seed", "nn", "no_grad",
    "ones", "ones_like", "optim", "rand", "randn", "save", "set_grad_enabled", "set_num_threads",
    "stack", "tensor", "where", "zeros", "zeros_like",
]


if not TYPE_CHECKING:  # hidden from type checkers, which would type every unknown name Any

    def __getattr__(name: str) -> Any:
        if name in _EXPORTS:
            value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        elif name in _SUBPACKAGES:
            value = importlib.import_module(f"{__name__}.{name}")
        elif name in _DTYPES:
            import numpy as np

            value = getattr(np, _DTYPES[name])
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Keeps `tensor` and `gradcheck` the functions when their same-named submodules load
    (the import system sets a submodule as an attribute of its package)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from numpy import bool_, float32, float64, int32, int64

    from seqlab.autograd import nn, optim
    from seqlab.autograd.contraction import einsum
    from seqlab.autograd.creation import (
        arange,
        as_generator,
        cat,
        default_generator,
        full,
        manual_seed,
        ones,
        ones_like,
        rand,
        randn,
        stack,
        tensor,
        where,
        zeros,
        zeros_like,
    )
    from seqlab.autograd.function import Context, Function
    from seqlab.autograd.grad_mode import (
        enable_grad,
        is_grad_enabled,
        no_grad,
        set_grad_enabled,
    )
    from seqlab.autograd.gradcheck import GradcheckError, gradcheck
    from seqlab.autograd.io import load, save
    from seqlab.autograd.tensor import Tensor
    from seqlab.autograd.threads import get_num_threads, set_num_threads
