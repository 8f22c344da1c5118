"""In-place writes into tensors, recorded in the graph as PyTorch records them.

`t[index] = value`, `copy_`, `fill_`, `zero_`, and `+=`, `-=`, `*=`, `/=` (`add_`, `sub_`,
`mul_`, `div_`):

- under `no_grad()` they write into the data (an optimizer step);
- with grad enabled, on a leaf that requires grad they raise, as PyTorch does (the leaf's
  gradient would no longer describe its value);
- with grad enabled, when the tensor has a history or the value requires grad, the write
  becomes an op of the graph: the tensor takes a new history whose backward sends the
  gradient to the value and masks the overwritten positions out of the old history;
- a recorded write into a view (a basic index, reshape or permute of a tensor with history)
  goes into its base, as PyTorch's CopySlices (`y[0] *= 2`, `out[t][i] = h`); one into a
  view without history, an expand or a split, or an op's output that views its input, is
  refused;
- a view taken before a write into its base follows the base's new history when it is next
  used (`refresh_view`, from Function.apply), as PyTorch regenerates views; a view without
  history of memory that a recorded write gave one is refused at use.

Every write stamps the tensor's memory (`versions.mark_written`), so backward refuses arrays
that an op saved before the write changed them.

A deliberate difference: a write whose value overlaps its destination (`y[1:] = y[:-1]`) is
allowed, where PyTorch refuses it ("some elements of the input tensor and the written-to
tensor refer to a single memory location. Please clone() the tensor"). NumPy copies an
overlapping source before writing, and the value's gradient goes to the history it had
before the write, so both the values and the gradients are those of PyTorch's
`y[1:] = y[:-1].clone()` (float64: equal to it and to central differences;
`tests/autograd/test_in_place.py`, leftovers s21).
"""

from __future__ import annotations

import bisect
import contextlib
import weakref
from typing import Any

import numpy as np

from seqlab.autograd import float_warnings, function, grad_mode, versions
from seqlab.autograd.ops import shape
from seqlab.autograd.ops.indexing import GetItem, IndexPut, has_advanced_index

_grad_state = grad_mode._state

# The graph's edges are tensors, and the engine reads an input's node (`_ctx`) when backward
# runs. A recorded write gives a tensor a new node, so ops that took the tensor as an input
# before the write must still reach its old one. Each node of a rebased tensor keeps
# `rebased_from = (times, befores, count)`: the clock times of the writes that rebased the
# tensor and stand-ins carrying the nodes they replaced, in lists shared by the tensor's
# whole history (a write appends: constant time and memory per write), of which the first
# `count` entries are this node's. Ops remember the clock time they were recorded at
# (Context._saved_at); `as_seen_by` finds the stand-in by bisection.


class _Rebasing:
    """How many graph nodes with a write history (`rebased_from`) are alive: while none is,
    no graph has a write in it and the engine skips `as_seen_by`."""

    __slots__ = ("live",)

    def __init__(self) -> None:
        self.live = 0


def _forget_rebased_node() -> None:
    rebasing.live -= 1


rebasing = _Rebasing()

def check_allowed(tensor: Any, what: str) -> None:
    """Refuse an in-place change of a leaf that requires grad while grad is enabled."""
    if tensor.requires_grad and tensor._ctx is None and _grad_state.enabled:
        raise RuntimeError(
            f"in-place {what} on a leaf tensor that requires grad: its gradient would no "
            "longer describe its value. Do it under no_grad() (as an optimizer step does), "
            "or work on a clone()"
        )


def _records(tensor: Any, value: Any) -> bool:
    """Whether the write must enter the graph."""
    if not _grad_state.enabled:
        return False
    return tensor.requires_grad or (isinstance(value, function.Tensor) and value.requires_grad)


def _refuse_view(tensor: Any, what: str) -> None:
    """Refuse a recorded write that the graph could not follow to the memory's owner: a view
    without history, an op's output that is a view of its input, or a view op (expand,
    split) whose write cannot be routed to its base (_view_base handles the others)."""
    ctx = tensor._ctx
    data = tensor.data
    if ctx is None:
        shared = data.base is not None
    elif hasattr(ctx, "written_at") and ctx.function not in function.VIEW_FUNCTIONS:
        shared = False  # the node of a write: it owns the memory
    else:
        storage = versions.storage_of(data)
        shared = any(
            source is not None and versions.storage_of(source.data) is storage
            for source in ctx.inputs
        )
    if shared:
        raise RuntimeError(
            f"in-place {what} with gradients into a tensor that views another tensor's memory "
            "(a view without history, an expand or a split): the graph cannot follow it to "
            "that tensor. Write through the tensor that owns the memory, clone() the view "
            "first, or build the result with stack/cat"
        )


def _view_base(tensor: Any) -> Any:
    """For a view that a write can go through to its base (a basic index, reshape or
    permute of a tensor with history), `(base, to_base)`: `to_base(value)` writes a new
    value of the whole view into the base. Otherwise None."""
    ctx = tensor._ctx
    if ctx is None or ctx.function not in _ROUTED_VIEWS or not ctx.inputs:
        return None
    base = ctx.inputs[0]
    if base is None or versions.storage_of(tensor.data) is not versions.storage_of(base.data):
        return None
    function_ = ctx.function
    if function_ is GetItem:
        if has_advanced_index(ctx.index):
            return None
        index = ctx.index
        return base, lambda value: write(base, index, value, "item assignment")
    if function_ is shape.Permute:
        inverse = ctx.inverse
        return base, lambda value: write(base, Ellipsis, value.permute(*inverse),
                                         "item assignment")
    base_shape = ctx.shape
    return base, lambda value: write(base, Ellipsis, value.reshape(base_shape),
                                     "item assignment")


def _history(tensor: Any, data: np.ndarray) -> Any:
    """A tensor standing for `tensor` before the write: its graph node, with `data`."""
    before = function.Tensor._from_array(data, tensor.requires_grad)
    before._ctx = tensor._ctx
    before._output_index = tensor._output_index
    return before


# Tensors cut from their graph in place (`detach`): id -> (the clock times of the cuts,
# stand-ins carrying the nodes they cut), as a write's history; dropped with the tensor
_detached: dict[int, tuple[list[int], list[Any]]] = {}


def _forget_detached(key: int) -> None:
    del _detached[key]
    rebasing.live -= 1


def detach(tensor: Any) -> None:
    """Cut `tensor` from its graph in place (`Tensor.detach_`): a leaf that needs no gradient
    for the ops recorded from now on, while the ops that took it before still reach its old
    node, as in PyTorch, whose graph edges point at nodes, not tensors (a stand-in keeps that
    node while the tensor lives, as it did before the cut). A view is refused, as PyTorch
    refuses it: its memory is its base's, which the graph would go on describing."""
    if _is_recorded_view(tensor):
        raise RuntimeError(
            "detach_() on a view (a basic index, reshape, transpose, permute, expand or split "
            "of another tensor) cannot cut it from the graph in place: its memory belongs to "
            "the tensor it views, whose history goes on; use detach() for a tensor cut from "
            "the graph, or detach_() the tensor that owns the memory")
    if tensor._ctx is not None:
        key = id(tensor)
        entry = _detached.get(key)
        if entry is None:
            entry = _detached[key] = ([], [])
            rebasing.live += 1
            weakref.finalize(tensor, _forget_detached, key)
        versions.clock.now += 1  # ops recorded from now on (_saved_at >= this) see the leaf
        entry[0].append(versions.clock.now)
        entry[1].append(_history(tensor, tensor.data))
    tensor._ctx = None
    tensor._output_index = 0
    tensor.requires_grad = False


def _is_recorded_view(tensor: Any) -> bool:
    """Whether `tensor` is a view op's output sharing its input's memory (a view that needs
    no gradient records no op: nothing tells it from a tensor of its own)."""
    ctx = tensor._ctx
    if ctx is None or ctx.function not in function.VIEW_FUNCTIONS:
        return False
    storage = versions.storage_of(tensor.data)
    return any(source is not None and versions.storage_of(source.data) is storage
               for source in ctx.inputs)


def as_seen_by(tensor: Any, recorded_at: int) -> Any:
    """`tensor` as an op recorded at clock time `recorded_at` took it: the stand-in for its
    history before the first later write or in-place detach, or the tensor itself."""
    if _detached:
        entry = _detached.get(id(tensor))
        if entry is not None:
            times, befores = entry
            position = bisect.bisect_right(times, recorded_at)
            if position < len(times):
                return as_seen_by(befores[position], recorded_at)
    ctx = tensor._ctx
    history = getattr(ctx, "rebased_from", None) if ctx is not None else None
    if history is not None:
        times, befores, count = history
        position = bisect.bisect_right(times, recorded_at, 0, count)
        if position < count:
            return befores[position]
    return tensor


def _rebase(tensor: Any, new: Any, before: Any, written_at: int) -> None:
    """Give `new` (the tensor's next node) the history of `tensor`'s current node plus
    `before`, standing for that node for the ops recorded up to `written_at`."""
    history = getattr(tensor._ctx, "rebased_from", None)
    if history is None:
        times, befores = [], []
    else:
        times, befores, count = history
        if count != len(times):  # a branch off an older node: copy its part
            times, befores = times[:count], befores[:count]
    times.append(written_at)
    befores.append(before)
    if getattr(new, "rebased_from", None) is None:
        rebasing.live += 1
        weakref.finalize(new, _forget_rebased_node)
    new.rebased_from = (times, befores, len(times))


def _adopt(tensor: Any, result: Any, before: Any) -> None:
    """Make `tensor` the output of the op that produced `result` (same values); `before`
    stands for the history it had, for the ops that used it earlier."""
    old, new = tensor._ctx, result._ctx
    if old is not None and new is not None:  # ops may have used it: keep their view of it
        # The write's time: mark_written ticks the clock right after this.
        written_at = versions.clock.now + 1
        _rebase(tensor, new, before, written_at)
    elif old is None and new is not None and not tensor.requires_grad:
        # Views without a history may have been taken of it: see check_view_without_history.
        _note_unrecorded_base(tensor.data)
    if new is not None:  # a write's node: its input shares the memory by design
        new.written_at = versions.clock.now + 1
    tensor._ctx = result._ctx
    tensor._output_index = result._output_index
    tensor.requires_grad = result.requires_grad


def _note_unrecorded_base(array: np.ndarray) -> None:
    storage = versions.storage_of(array)
    key = id(storage)
    if key not in function.unrecorded_bases:
        with contextlib.suppress(TypeError):
            weakref.finalize(storage, function.unrecorded_bases.discard, key)
    function.unrecorded_bases.add(key)


def refresh_view(view: Any) -> None:
    """Bring a view (the output of a view op) up to date with the writes into its base since
    it was taken, as PyTorch regenerates a view: ops recorded from now on reach the base's
    current history through a copy of the view's node; earlier ops keep the old node."""
    ctx = view._ctx
    if not ctx.inputs or ctx.inputs[0] is None:  # a graph that backward already freed
        return
    base = ctx.inputs[0]
    base_ctx = base._ctx
    if (base_ctx is not None and base_ctx._saved_at != versions.clock.now
            and base_ctx.function in function.VIEW_FUNCTIONS):
        refresh_view(base)  # a view of a view: its base first
    data = view.data
    if type(data) is not np.ndarray or data.base is None:
        return
    stamp = versions.last_write(data)
    if stamp <= getattr(ctx, "written_at", ctx._saved_at):
        return
    storage = versions.storage_of(data)
    if storage is not versions.storage_of(base.data):
        return  # the op copied (a reshape of non-contiguous memory)
    versions.clock.now += 1  # ops recorded before this see the old node, later ones the new
    now = versions.clock.now
    new = ctx._copy()
    new._saved_at = now
    _rebase(view, new, _history(view, data), now)
    new.written_at = now
    view._ctx = new


def check_view_without_history(view: Any) -> None:
    """Refuse a view without history of memory that a recorded write gave a history after
    the view was possibly taken: its values come from the graph, its gradient could not."""
    if _grad_state.enabled and id(versions.storage_of(view.data)) in function.unrecorded_bases:
        raise RuntimeError(
            "this tensor is a view without history of memory that a recorded write "
            "(t[...] = value with gradients) gave a history, possibly taken before the write; "
            "its gradient cannot follow the write. Take the view after the write "
            "(v = buf[0] after buf[0] = h), or build the result with stack/cat"
        )


def write(tensor: Any, index: Any, value: Any, what: str) -> None:
    """`tensor[index] = value` (`index` already holds arrays, not tensors)."""
    check_allowed(tensor, what)
    if _records(tensor, value):
        route = _view_base(tensor)
        if route is not None:  # PyTorch's CopySlices: the write goes into the base
            refresh_view(tensor)
            written = IndexPut.apply(_history(tensor, tensor.data.copy()), index, value)
            _write_view(tensor, route, written)
            return
        _refuse_view(tensor, what)
        before = _history(tensor, tensor.data)
        _adopt(tensor, IndexPut.apply(before, index, value), before)
    else:
        tensor.data[index] = value.data if isinstance(value, function.Tensor) else value
    versions.mark_written(tensor.data)  # ticks the clock to the time _adopt recorded


def _write_view(view: Any, route: Any, value: Any) -> None:
    """Write the view's new whole value into its base; the view then follows the base."""
    _, to_base = route
    to_base(value)  # stamps the memory
    refresh_view(view)


def update(tensor: Any, other: Any, ufunc: np.ufunc, out_of_place: Any, what: str) -> Any:
    """`tensor (op)= other`: `ufunc` computes it on arrays, `out_of_place(a, b)` on tensors."""
    check_allowed(tensor, what)
    if _records(tensor, other):
        route = _view_base(tensor)
        if route is not None:
            refresh_view(tensor)
        else:
            _refuse_view(tensor, what)
        # The op may save its first input for backward (only Mul does, when `other` needs a
        # gradient): then give it the values before the write.
        saves_input = (ufunc is np.multiply and isinstance(other, function.Tensor)
                       and other.requires_grad)
        before = _history(tensor, tensor.data.copy() if saves_input else tensor.data)
        result = out_of_place(before, other)
        _check_cast(result.dtype, tensor.dtype, what)
        if result.dtype != tensor.dtype:
            result = result.type(tensor.dtype)
        if route is not None:
            _write_view(tensor, route, result)
            return tensor
        tensor.data[...] = result.data
        _adopt(tensor, result, before)
    else:
        other_data = other.data if isinstance(other, function.Tensor) else other
        quiet = float_warnings.quiet()  # inf and nan as the out-of-place op gives them
        try:
            ufunc(tensor.data, other_data, out=tensor.data, casting="same_kind")
        except TypeError as error:  # NumPy's UFuncTypeError: the result cannot be cast back
            result_type = np.result_type(tensor.data, other_data)
            raise _cast_error(result_type, tensor.dtype, what) from error
        finally:
            float_warnings.restore(quiet)
    versions.mark_written(tensor.data)
    return tensor


def _check_cast(result_type: np.dtype, dtype: np.dtype, what: str) -> None:
    if not np.can_cast(result_type, dtype, "same_kind"):
        raise _cast_error(result_type, dtype, what)


def _cast_error(result_type: np.dtype, dtype: np.dtype, what: str) -> RuntimeError:
    return RuntimeError(
        f"in-place {what}: the result type {result_type} can't be cast to the tensor's dtype "
        f"{dtype}; write t = t {what[:-1]} x (a new tensor), or convert the tensor "
        "first (.float(), .to(...))"
    )


# Ops whose output views their input's memory (checked per array: a reshape may copy).
function.VIEW_FUNCTIONS.update((GetItem, shape.Reshape, shape.Permute, shape.Expand, shape.Split))
_ROUTED_VIEWS = (GetItem, shape.Reshape, shape.Permute)
function.refresh_view = refresh_view
function.check_view_without_history = check_view_without_history
