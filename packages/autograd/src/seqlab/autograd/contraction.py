"""`einsum`: Einstein summation over tensors, as `torch.einsum`; `bmm`, the batched matrix
product."""

from __future__ import annotations

from typing import Any

from seqlab.autograd.ops.einsum import Einsum, explicit_terms
from seqlab.autograd.tensor import Tensor


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products over the letters of `equation` (NumPy's and PyTorch's notation:
    `"ij,jk->ik"`, `"...ij->...ji"`, `"ii->"`); operands come as arguments or one list.

    Differentiable in every operand: each gradient is the einsum of the output's gradient
    with the other operands.
    """
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    tensors = [op if isinstance(op, Tensor) else Tensor(op) for op in operands]
    terms = explicit_terms(equation, [t.ndim for t in tensors])
    return Einsum.apply(terms, *tensors)


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix product of (B, n, m) and (B, m, p) into (B, n, p), as `torch.bmm`."""
    return (input if isinstance(input, Tensor) else Tensor(input)).bmm(mat2)
