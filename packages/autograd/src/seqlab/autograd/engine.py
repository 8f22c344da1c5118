"""The backward walk: iterative, in dependency order, un-broadcasting in one place."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np

from seqlab.autograd import grad_mode, gradient_hooks, in_place
from seqlab.autograd.function import FREED_GRAPH_MESSAGE, Context

if TYPE_CHECKING:
    from seqlab.autograd.tensor import Tensor

_grad_state = grad_mode._state

# Non-leaf tensors whose gradient backward keeps in `.grad` (`Tensor.retain_grad`), by id
# (a set would compare Tensors with ==, which is elementwise).
retained: dict[int, weakref.ReferenceType] = {}


def retain(tensor: Tensor) -> None:
    """Keep `tensor`'s gradient in its `.grad` on every backward through it."""
    key = id(tensor)
    retained[key] = weakref.ref(tensor, lambda _, key=key: retained.pop(key, None))


def is_retained(tensor: Tensor) -> bool:
    """Whether `retain` was called on `tensor` (this tensor, not an earlier one whose id it
    reuses)."""
    ref = retained.get(id(tensor))
    return ref is not None and ref() is tensor


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], op_name: str = "an op") -> np.ndarray:
    """Sum a broadcast gradient back to `shape` (the shape of the input it belongs to)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    if grad.ndim == len(shape):
        axes = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(
            f"{op_name}.backward returned a gradient of shape {grad.shape} for an input of "
            f"shape {shape}; it must equal that shape or broadcast to it"
        )
    return grad


def _count_consumers(root: Context) -> dict[Context, int]:
    """For every context reachable from `root`, how many graph edges lead into it."""
    consumers = {root: 0}
    stack = [root]
    rebased = in_place.rebasing.live
    while stack:
        ctx = stack.pop()
        for tensor in ctx.inputs:
            if tensor is None:
                continue
            if rebased:
                tensor = in_place.as_seen_by(tensor, ctx._saved_at)
            parent = tensor._ctx
            if parent is None:
                continue
            if parent in consumers:
                consumers[parent] += 1
            else:
                consumers[parent] = 1
                stack.append(parent)
    return consumers


# `object.__setattr__` writes the `grad` slot past a Parameter's `__setattr__` (its `.data`
# check, a Python call) on the one attribute write a leaf gets in a backward
_set_attribute = object.__setattr__


def _accumulate_leaf(tensor: Tensor, grad: np.ndarray) -> None:
    if tensor.grad is None:
        # Own the memory: a backward may hand the same array (or a read-only view) to
        # several inputs, and `+=` below must never write into it. The copy takes the
        # parameter's layout (as PyTorch's gradient layout contract), so optimizers and
        # clipping can walk data and grad as flat arrays without copying again (a transposed
        # W_ih gradient cost clip + Adam two extra copies per step).
        owned = np.empty_like(tensor.data, subok=False)
        np.copyto(owned, grad, casting="unsafe")
        _set_attribute(tensor, "grad", owned)
    else:
        summed = tensor.grad
        summed += grad  # in place: no attribute write


def backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate `grad` (d output / d root) to every leaf that requires a gradient.

    Contexts run once all their consumers have run (Kahn's algorithm, no recursion), so a
    tensor used twice receives the sum of both gradients before its op's backward runs.
    """
    root_ctx = root._ctx
    hooked = gradient_hooks.any_hooks()
    if root_ctx is None:
        _accumulate_leaf(root, gradient_hooks.applied(root, grad) if hooked else grad)
        return
    if root_ctx.released:
        raise RuntimeError(FREED_GRAPH_MESSAGE)
    consumers = _count_consumers(root_ctx)
    root_grads: list[np.ndarray | None] = [None] * len(root_ctx.output_meta)
    root_grads[root._output_index] = grad
    pending = {root_ctx: root_grads}
    ready = [root_ctx]
    previous_mode = _grad_state.enabled
    previous_retaining = _grad_state.retaining_graph
    _grad_state.enabled = False  # backward computations never record a graph
    _grad_state.retaining_graph = retain_graph  # `grad_mode.is_graph_retained`
    rebased = in_place.rebasing.live
    watched = _retained_outputs(consumers) if retained or hooked else None
    hooked_leaves: dict[int, list] | None = {} if hooked else None  # id -> [leaf, summed grad]
    silent = np.errstate(divide="ignore", invalid="ignore", over="ignore")
    silent.__enter__()  # inf and nan in gradients, as PyTorch, without NumPy's warnings
    try:
        # The body runs once per node of every training step: keep it inline and flat.
        while ready:
            ctx = ready.pop()
            inputs = ctx.inputs
            output_grads = pending.pop(ctx, None)
            if watched and output_grads is not None and ctx in watched:
                for index, tensor in watched[ctx]:
                    if output_grads[index] is not None:
                        if hooked:  # (the op passes on what its hooks return)
                            output_grads[index] = gradient_hooks.applied(tensor,
                                                                         output_grads[index])
                        if is_retained(tensor):
                            _accumulate_leaf(tensor, output_grads[index])
            if output_grads is None:
                # No gradient reached this op: skip it, but let its parents' counts drop.
                input_grads = (None,) * len(inputs)
            else:
                if ctx.released:
                    raise RuntimeError(FREED_GRAPH_MESSAGE)
                if len(output_grads) == 1:
                    input_grads = ctx.function.backward(ctx, output_grads[0])
                else:
                    input_grads = ctx.function.backward(ctx, *_fill_unused(ctx, output_grads))
                if type(input_grads) is not tuple:
                    input_grads = _as_gradient_tuple(input_grads)
                if len(input_grads) != len(inputs):
                    raise RuntimeError(_count_message(ctx, len(input_grads)))
                if not retain_graph:
                    ctx._saved = ()
                    ctx.inputs = ()
                    ctx.released = True
            for tensor, input_grad in zip(inputs, input_grads):
                if tensor is None:
                    continue
                if rebased:  # a recorded write gave it a new node after this op used it
                    tensor = in_place.as_seen_by(tensor, ctx._saved_at)
                parent = tensor._ctx
                if input_grad is not None:
                    data = tensor.data
                    if type(input_grad) is not np.ndarray:
                        input_grad = np.asarray(input_grad)
                    if input_grad.shape != data.shape:
                        input_grad = unbroadcast(input_grad, data.shape, ctx.function.__name__)
                    if input_grad.dtype is not data.dtype and input_grad.dtype != data.dtype:
                        input_grad = input_grad.astype(data.dtype)
                    if parent is None:
                        if hooked_leaves is not None and gradient_hooks.hooks_of(tensor):
                            _sum_for_hooks(hooked_leaves, tensor, input_grad)
                        else:
                            _accumulate_leaf(tensor, input_grad)
                    else:
                        slots = pending.get(parent)
                        if slots is None:
                            slots = pending[parent] = [None] * len(parent.output_meta)
                        index = tensor._output_index
                        previous = slots[index]
                        # Never in place: the first gradient may be shared or a read-only view.
                        slots[index] = input_grad if previous is None else previous + input_grad
                if parent is not None:
                    remaining = consumers[parent] - 1
                    consumers[parent] = remaining
                    if remaining == 0:
                        ready.append(parent)
        for tensor, summed in (hooked_leaves or {}).values():  # each hooked leaf's whole grad
            _accumulate_leaf(tensor, gradient_hooks.applied(tensor, summed))
    finally:
        silent.__exit__(None, None, None)
        _grad_state.enabled = previous_mode
        _grad_state.retaining_graph = previous_retaining


def _sum_for_hooks(hooked_leaves: dict[int, list], tensor: Tensor, grad: np.ndarray) -> None:
    """Add `grad` to the sum a hooked leaf gets at the end of the backward (never in place:
    the first gradient may be shared or a read-only view)."""
    found = hooked_leaves.get(id(tensor))
    if found is None:
        hooked_leaves[id(tensor)] = [tensor, grad]
    else:
        found[1] = found[1] + grad


def _retained_outputs(consumers: dict[Context, int]) -> dict[Context, list]:
    """The retained and hooked tensors this backward reaches, by the node that computed them,
    with their output index: their gradient is complete when that node runs."""
    watched: dict[Context, list] = {}
    refs = {**retained, **{key: entry[0] for key, entry in gradient_hooks.hooks.items()}}
    for ref in refs.values():  # (each tensor once, retained and hooked alike)
        tensor = ref()
        if tensor is not None and tensor._ctx in consumers:
            watched.setdefault(tensor._ctx, []).append((tensor._output_index, tensor))
    return watched


def _fill_unused(ctx: Context, output_grads: list[np.ndarray | None]) -> list[np.ndarray]:
    """One gradient per output, zeros for outputs that nobody used."""
    return [
        grad if grad is not None else np.zeros(shape, dtype)
        for grad, (shape, dtype) in zip(output_grads, ctx.output_meta)
    ]


def _as_gradient_tuple(input_grads: object) -> tuple:
    """A backward may return a single gradient (one input) or a list."""
    if isinstance(input_grads, list):
        return tuple(input_grads)
    return (input_grads,)


def _count_message(ctx: Context, returned: int) -> str:
    return (
        f"{ctx.function.__name__}.backward returned {returned} gradients for "
        f"{len(ctx.inputs)} forward arguments; return one per argument (None for arguments "
        "without a gradient)"
    )
