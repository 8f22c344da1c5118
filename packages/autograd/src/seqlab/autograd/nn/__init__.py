"""seqlab.autograd.nn: modules, layers, initialisation, functional ops and utilities.

`nn.functional`, `nn.init` and `nn.utils` are submodules, as in PyTorch
(`import seqlab.autograd.nn.functional as F`).
"""

from seqlab.autograd.nn import functional, init, utils
from seqlab.autograd.nn.activation import ReLU, Sigmoid, Tanh
from seqlab.autograd.nn.containers import ModuleDict, ModuleList, Sequential
from seqlab.autograd.nn.dropout import Dropout
from seqlab.autograd.nn.embedding import Embedding
from seqlab.autograd.nn.incompatible_keys import IncompatibleKeys
from seqlab.autograd.nn.linear import Linear
from seqlab.autograd.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from seqlab.autograd.nn.module import Module, StateDictError
from seqlab.autograd.nn.normalization import LayerNorm
from seqlab.autograd.nn.parameter import Parameter

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Embedding", "IncompatibleKeys",
    "LayerNorm", "Linear",
    "MSELoss", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "StateDictError", "Tanh", "functional", "init", "utils",
]
