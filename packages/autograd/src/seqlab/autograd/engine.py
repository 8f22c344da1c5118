"""The backward walk: iterative, topologically ordered, un-broadcasting in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seqlab.autograd.function import Context
from seqlab.autograd.grad_mode import no_grad

if TYPE_CHECKING:
    from seqlab.autograd.tensor import Tensor


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back to `shape` (the shape of the input it belongs to)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"gradient of shape {grad.shape} does not fit input of shape {shape}")
    return grad


def _topological_order(root: Context) -> list[Context]:
    """Contexts reachable from `root`, each before every context that produced its inputs."""
    order: list[Context] = []
    visited: set[int] = {id(root)}
    stack: list[tuple[Context, int]] = [(root, 0)]
    while stack:
        ctx, position = stack.pop()
        inputs = ctx.inputs
        while position < len(inputs):
            parent = inputs[position]
            position += 1
            if parent is not None and parent._ctx is not None and id(parent._ctx) not in visited:
                visited.add(id(parent._ctx))
                stack.append((ctx, position))
                stack.append((parent._ctx, 0))
                break
        else:
            order.append(ctx)
    order.reverse()
    return order


def _accumulate_leaf(tensor: Tensor, grad: np.ndarray) -> None:
    if grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
    if tensor.grad is None:
        # Own the memory: backward may hand out views of arrays it keeps.
        tensor.grad = np.array(grad, copy=True)
    else:
        tensor.grad += grad


def backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate `grad` (d output / d root) to every leaf that requires a gradient."""
    if root._ctx is None:
        _accumulate_leaf(root, grad)
        return
    pending: dict[int, list[np.ndarray | None]] = {
        id(root._ctx): [None] * len(root._ctx.output_meta)
    }
    pending[id(root._ctx)][root._output_index] = grad
    with no_grad():
        for ctx in _topological_order(root._ctx):
            output_grads = pending.pop(id(ctx), None)
            if output_grads is None:
                continue
            if ctx.released:
                raise RuntimeError(
                    "Trying to backward through the graph a second time: its saved arrays were "
                    "freed after the first backward. Pass retain_graph=True to the first backward()."
                )
            grads = tuple(
                g if g is not None else np.zeros(shape, dtype)
                for g, (shape, dtype) in zip(output_grads, ctx.output_meta, strict=True)
            )
            input_grads = ctx.function.backward(ctx, *grads)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if len(input_grads) != len(ctx.inputs):
                raise RuntimeError(
                    f"{ctx.function.__name__}.backward returned {len(input_grads)} gradients "
                    f"for {len(ctx.inputs)} inputs"
                )
            if not retain_graph:
                ctx.release()
            for tensor, input_grad in zip(ctx.inputs, input_grads, strict=True):
                if tensor is None or input_grad is None:
                    continue
                input_grad = unbroadcast(np.asarray(input_grad), tensor.data.shape)
                if input_grad.dtype != tensor.data.dtype:
                    input_grad = input_grad.astype(tensor.data.dtype)
                if tensor._ctx is None:
                    _accumulate_leaf(tensor, input_grad)
                    continue
                slots = pending.setdefault(id(tensor._ctx), [None] * len(tensor._ctx.output_meta))
                index = tensor._output_index
                slots[index] = input_grad if slots[index] is None else slots[index] + input_grad
