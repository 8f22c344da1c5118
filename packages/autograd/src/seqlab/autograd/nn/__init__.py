"""seqlab.autograd.nn: modules, layers, initialisation, functional ops and utilities.

`nn.functional`, `nn.init` and `nn.utils` are submodules, as in PyTorch
(`import seqlab.autograd.nn.functional as F`).
"""

from typing import Any

from seqlab.autograd.nn import functional, init, utils
from seqlab.autograd.nn.activation import (
    GELU,
    Identity,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from seqlab.autograd.nn.containers import ModuleDict, ModuleList, Sequential
from seqlab.autograd.nn.dropout import Dropout
from seqlab.autograd.nn.embedding import Embedding
from seqlab.autograd.nn.incompatible_keys import IncompatibleKeys
from seqlab.autograd.nn.linear import Linear
from seqlab.autograd.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from seqlab.autograd.nn.module import Module, StateDictError
from seqlab.autograd.nn.normalization import LayerNorm
from seqlab.autograd.nn.parameter import Parameter

__all__ = [
    "GELU", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Embedding",
    "HuberLoss", "Identity", "IncompatibleKeys", "L1Loss", "LayerNorm", "Linear", "LogSoftmax",
    "MSELoss", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU",
    "Sequential", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "StateDictError", "Tanh",
    "functional", "init", "utils",
]

# PyTorch's torch.nn names that live in seqlab.seqmodels (a layer above autograd)
_IN_SEQMODELS = ("LSTM", "GRU", "RNN", "RNNBase", "LSTMCell", "GRUCell", "RNNCell")


def __getattr__(name: str) -> Any:
    if name in _IN_SEQMODELS:
        raise AttributeError(
            f"seqlab.autograd.nn has no {name}: seqlab's recurrent layers live in "
            f"seqlab.seqmodels (from seqlab.seqmodels import {name}), with PyTorch's arguments, "
            "parameter names and return values")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
