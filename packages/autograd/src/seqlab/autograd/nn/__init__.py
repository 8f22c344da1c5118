"""seqlab.autograd.nn: modules, layers, initialisation, functional ops and utilities."""

from seqlab.autograd.nn.containers import ModuleList, Sequential
from seqlab.autograd.nn.module import Module, StateDictError
from seqlab.autograd.nn.parameter import Parameter

__all__ = ["Module", "ModuleList", "Parameter", "Sequential", "StateDictError"]
