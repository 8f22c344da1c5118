"""Write clock for the memory that tensors share, so that backward can refuse saved arrays
that an in-place operation changed after the graph saved them (PyTorch's version counter).

Every in-place write ticks one global clock and stamps the written array's storage (the
ndarray that owns the memory, shared by all its views) with the new time: writes through a
Tensor method, and those that reach the arrays directly (optimizer steps, one tick a step,
`nn.init`, `load_state_dict`, `Embedding(max_norm)`'s renormalising). An op's context
remembers the clock when it saves arrays; in backward, a saved array whose storage was
stamped later was changed under the graph. Recording costs one integer
read per op that saves arrays; the per-array check runs only when some write happened since.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any

import numpy as np


class _Clock:
    """A counter ticked by each in-place write (one tick per optimizer step) and by
    `in_place.refresh_view` (a mutable cell read on every save)."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0


clock = _Clock()
# id(storage) -> clock time of its last in-place write. An entry leaves with its storage (a
# finalizer); one that cannot (storage without weak references) stays harmlessly: any array
# saved after its last write has a later saved time, so the stale stamp never trips a check.
_last_write: dict[int, int] = {}


def storage_of(array: np.ndarray) -> Any:
    """The object that owns `array`'s memory (the array itself, or the base of a view)."""
    base = array.base
    if base is None:
        return array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return base


def _stamp(storage: Any, now: int) -> None:
    """Stamp `storage` with clock time `now`, registering its entry's finalizer the first time."""
    key = id(storage)
    if key not in _last_write:
        # Storage without weak references (bytes) keeps its entry: see _last_write.
        with contextlib.suppress(TypeError):
            weakref.finalize(storage, _last_write.pop, key, None)
    _last_write[key] = now


def mark_written(array: np.ndarray) -> None:
    """Record an in-place write into `array` (and so into every view of its memory)."""
    clock.now += 1
    _stamp(storage_of(array), clock.now)


def mark_all_written(arrays: list[np.ndarray]) -> None:
    """Record in-place writes into every array of `arrays` at one clock time (an optimizer
    step's parameters: one dict store per array, no per-element cost)."""
    clock.now += 1
    now = clock.now
    for array in arrays:
        _stamp(array if array.base is None else storage_of(array), now)


def written_since(array: Any, time: int) -> bool:
    """True if `array`'s memory had an in-place write after clock time `time`."""
    if type(array) is not np.ndarray:
        return False
    return _last_write.get(id(storage_of(array)), 0) > time


def last_write(array: np.ndarray) -> int:
    """The clock time of the last in-place write into `array`'s memory (0: none)."""
    return _last_write.get(id(storage_of(array)), 0)
