"""seqlab.autograd: reverse-mode autodiff on NumPy arrays, with Numba-jitted hot kernels."""

import numpy as np

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
from seqlab.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from seqlab.autograd.gradcheck import GradcheckError, gradcheck
from seqlab.autograd.io import load, save
from seqlab.autograd.tensor import Tensor
from seqlab.autograd.threads import get_num_threads, set_num_threads

# isort: split
# nn and optim import names defined above, so they come last.
from seqlab.autograd import nn, optim

float32 = np.float32
float64 = np.float64
int64 = np.int64
int32 = np.int32
bool_ = np.bool_

__all__ = [
    "Context", "Function", "GradcheckError", "Tensor", "arange", "as_generator", "bool_", "cat",
    "default_generator", "enable_grad", "float32", "float64", "full", "get_num_threads",
    "gradcheck", "int32", "int64", "is_grad_enabled", "load", "manual_seed", "nn", "no_grad",
    "ones", "ones_like", "optim", "rand", "randn", "save", "set_grad_enabled", "set_num_threads",
    "stack", "tensor", "where", "zeros", "zeros_like",
]
