"""`einsum`: NumPy's einsum forward; each operand's gradient is the einsum of the output's
gradient with the other operands (letters summed out and repeated letters handled)."""

from __future__ import annotations

import string
from collections import Counter

import numpy as np

from seqlab.autograd.function import Context, Function


def explicit_terms(equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """The input terms and the output term of `equation` with every `...` replaced by
    letters (right-aligned, so operands broadcast as NumPy's ellipsis does) and an implicit
    output (no `->`) written out: the ellipsis, then the letters used once, sorted."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum(): the equation names {len(terms)} operands but "
                         f"{len(ndims)} were given")
    spare = [c for c in string.ascii_letters if c not in equation]
    widths = []
    for term, ndim in zip(terms, ndims):
        named = len(term.replace("...", ""))
        if ("..." in term and named > ndim) or ("..." not in term and named != ndim):
            raise ValueError(f"einsum(): the term {term!r} does not fit an operand with "
                             f"{ndim} dimensions")
        widths.append(ndim - named if "..." in term else 0)
    ellipsis = "".join(spare[:max(widths, default=0)])
    terms = [term.replace("...", ellipsis[len(ellipsis) - width:])
             for term, width in zip(terms, widths)]
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = Counter("".join(terms))
        output = ellipsis + "".join(sorted(c for c in counts if counts[c] == 1
                                           and c not in ellipsis))
    return terms, output


def _contract(inputs: list[str], output: str, arrays: list[np.ndarray]) -> np.ndarray:
    return np.einsum(",".join(inputs) + "->" + output, *arrays, optimize=len(arrays) > 1)


class Einsum(Function):
    """einsum over operands given after the equation (already made explicit)."""

    @staticmethod
    def forward(ctx: Context, terms: tuple[list[str], str], *arrays: np.ndarray) -> np.ndarray:
        inputs, output = terms
        ctx.terms = terms
        ctx.save_for_backward(*arrays)
        return np.asarray(_contract(inputs, output, list(arrays)))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        inputs, output = ctx.terms
        arrays = ctx.saved_tensors
        grads: list[np.ndarray | None] = [None]
        for k, (term, array) in enumerate(zip(inputs, arrays)):
            if not ctx.needs_input_grad[k + 1]:
                grads.append(None)
                continue
            others = [inputs[j] for j in range(len(inputs)) if j != k]
            other_arrays = [arrays[j] for j in range(len(arrays)) if j != k]
            grads.append(_operand_grad(term, array.shape, output, grad, others, other_arrays))
        return tuple(grads)


def _operand_grad(term: str, shape: tuple[int, ...], output: str, grad: np.ndarray,
                  others: list[str], other_arrays: list[np.ndarray]) -> np.ndarray:
    """d(sum of grad * einsum) / d operand: einsum of `grad` with the other operands onto
    the operand's letters. A letter only the operand had was summed out, so the gradient is
    constant along it; a repeated letter (a diagonal) receives it on that diagonal."""
    letters = "".join(dict.fromkeys(term))  # unique, in order
    reachable = set(output).union(*others)
    present = "".join(c for c in letters if c in reachable)
    partial = _contract([output, *others], present, [grad, *other_arrays])
    size = dict(zip(term, shape))
    # the letters the operand alone held come back as size-1 axes, broadcast to its sizes
    expanded = partial.reshape([partial.shape[present.index(c)] if c in present else 1
                                for c in letters])
    full = np.broadcast_to(expanded, [max(size[c], expanded.shape[i])
                                      for i, c in enumerate(letters)])
    if len(letters) == len(term):
        return np.ascontiguousarray(full)
    out = np.zeros([full.shape[letters.index(c)] for c in term], dtype=partial.dtype)
    np.einsum(f"{term}->{letters}", out)[...] = full  # a writable view of the diagonal
    return out
