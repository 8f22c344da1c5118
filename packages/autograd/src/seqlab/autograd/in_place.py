"""In-place writes into tensors, recorded in the graph as PyTorch records them.

`t[index] = value`, `copy_`, `fill_`, `zero_` and `+=`, `-=`, `*=`, `/=`:

- under `no_grad()` they write into the data (an optimizer step);
- with grad enabled, on a leaf that requires grad they raise, as PyTorch does (the leaf's
  gradient would no longer describe its value);
- with grad enabled, when the tensor has a history or the value requires grad, the write
  becomes an op of the graph: the tensor takes a new history whose backward sends the
  gradient to the value and masks the overwritten positions out of the old history.

Every write stamps the tensor's memory (`versions.mark_written`), so backward refuses arrays
that an op saved before the write changed them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import function, grad_mode, versions
from seqlab.autograd.ops.indexing import IndexPut

_grad_state = grad_mode._state

# The graph's edges are tensors, and the engine reads an input's node (`_ctx`) when backward
# runs. A recorded write gives a tensor a new node, so ops that took the tensor as an input
# before the write must still reach its old one. The new node keeps, in `rebased_from`, the
# clock time of every write that rebased the tensor and a stand-in carrying the node each
# replaced (kept by the node, so it lives and dies with the tensor's graph). Ops remember the
# clock time they were recorded at (Context._saved_at); `as_seen_by` picks the stand-in.


class _Rebasing:
    """Whether any recorded write has rebased a tensor yet (until then the engine skips
    `as_seen_by`)."""

    __slots__ = ("happened",)

    def __init__(self) -> None:
        self.happened = False


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
    # The graph follows tensors, not memory: a write recorded on a view would reach the
    # memory of the tensor it views without reaching that tensor's graph.
    if tensor.data.base is not None:
        raise RuntimeError(
            f"in-place {what} with gradients into a tensor that views another tensor's memory "
            "(a slice, reshape or transpose): the graph cannot follow it to that tensor. "
            "Write through the tensor that owns the memory (out[t, i] = h instead of "
            "out[t][i] = h), clone() the view first, or build the result with stack/cat"
        )


def _history(tensor: Any, data: np.ndarray) -> Any:
    """A tensor standing for `tensor` before the write: its graph node, with `data`."""
    before = function.Tensor._from_array(data, tensor.requires_grad)
    before._ctx = tensor._ctx
    before._output_index = tensor._output_index
    return before


def as_seen_by(tensor: Any, recorded_at: int) -> Any:
    """`tensor` as an op recorded at clock time `recorded_at` took it: the stand-in for its
    history before the first later write, or the tensor itself."""
    ctx = tensor._ctx
    history = getattr(ctx, "rebased_from", None) if ctx is not None else None
    if history is not None:
        for written_at, before in history:
            if written_at > recorded_at:
                return before
    return tensor


def _adopt(tensor: Any, result: Any, before: Any) -> None:
    """Make `tensor` the output of the op that produced `result` (same values); `before`
    stands for the history it had, for the ops that used it earlier."""
    old, new = tensor._ctx, result._ctx
    if old is not None and new is not None:  # ops may have used it: keep their view of it
        # The write's time: mark_written ticks the clock right after this.
        written_at = versions.clock.now + 1
        new.rebased_from = (*getattr(old, "rebased_from", ()), (written_at, before))
        rebasing.happened = True
    tensor._ctx = result._ctx
    tensor._output_index = result._output_index
    tensor.requires_grad = result.requires_grad


def write(tensor: Any, index: Any, value: Any, what: str) -> None:
    """`tensor[index] = value` (`index` already holds arrays, not tensors)."""
    check_allowed(tensor, what)
    if _records(tensor, value):
        _refuse_view(tensor, what)
        before = _history(tensor, tensor.data)
        _adopt(tensor, IndexPut.apply(before, index, value), before)
    else:
        tensor.data[index] = value.data if isinstance(value, function.Tensor) else value
    versions.mark_written(tensor.data)  # ticks the clock to the time _adopt recorded


def update(tensor: Any, other: Any, ufunc: np.ufunc, out_of_place: Any, what: str) -> Any:
    """`tensor (op)= other`: `ufunc` computes it on arrays, `out_of_place(a, b)` on tensors."""
    check_allowed(tensor, what)
    if _records(tensor, other):
        _refuse_view(tensor, what)
        # The op may save its first input for backward: give it the values before the write.
        before = _history(tensor, tensor.data.copy())
        result = out_of_place(before, other)
        _check_cast(result.dtype, tensor.dtype, what)
        if result.dtype != tensor.dtype:
            result = result.type(tensor.dtype)
        tensor.data[...] = result.data
        _adopt(tensor, result, before)
    else:
        other_data = other.data if isinstance(other, function.Tensor) else other
        try:
            ufunc(tensor.data, other_data, out=tensor.data, casting="same_kind")
        except TypeError as error:  # NumPy's UFuncTypeError: the result cannot be cast back
            result_type = np.result_type(tensor.data, other_data)
            raise _cast_error(result_type, tensor.dtype, what) from error
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
