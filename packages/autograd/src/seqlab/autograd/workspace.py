"""Reused buffers for the large arrays a training step allocates and frees every step.

A recurrent layer's step allocates tens of MB (projections, saved gates, their gradients) and
frees them when backward is done; glibc hands blocks that large back to the kernel, so every
step page-faults them in again (LSTM 256 x 2 training step, 1 thread, AMD EPYC VM: 6,350
faults, 17.7 of 155 ms CPU a step). seqlab keeps such blocks for its own next arrays instead:
`empty(shape, dtype)` gives a C-contiguous array whose data starts on a 64-byte line, from a
block freed earlier when one of the same byte size is cached. No process-wide setting changes
(unlike `seqlab.autograd.memory.retain_freed_memory`, which is glibc's policy for everything).

Safety: each array's memory belongs to a small owner object (the array's `base`, kept by every
view of it); the block returns to the cache only when the last array or view using it is gone
(CPython frees it at once; inside a reference cycle, when the cycle is collected). Bounds: the
blocks kept plus the blocks in use stay within `bound_bytes()`: at most `cache_limit()` (1 GiB by
default; `set_cache_limit(0)` turns the cache off and frees what it holds), never more than twice
`peak_bytes()` (the most its arrays held at once since the last `release()`), and otherwise the
blocks a step asks for by size: for each byte size, the most blocks of it in use at once, summed,
over a stretch between two moments where no workspace array is alive (a training step's arrays
are all gone between steps), the largest such stretch since the last `release()` among the first
and those that asked for exactly the sizes of the one before (a repeating step). A step of fixed
shapes that holds A, frees it and then holds B of another size needs both blocks back next step,
though it never held them at once: the cache keeps both, and every block is reused from the
second step on (bounded by the peak alone, the oldest was dropped and steps 2-3 faulted ~5.6 MB
back in). A run whose shapes change (bucketed lengths, a validation batch) keeps blocks and
arrays within its peak, not up to the limit in sizes it never needed in one step; on a miss,
the oldest kept blocks are freed first where the new one would pass the bound. Only arrays of at
least 256 KiB go through it. The limit holds a word LM's two
(rows, vocab) arrays, logits and their softmax/gradient (batch 128 x 35 steps, vocab 20k,
float32: 358 MB each; at 256 MiB neither was kept, and faulting them in afresh on the loaded
2-core VM cost 0.5 s CPU of a 3 s step).
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict

import numpy as np

LINE_BYTES = 64
MIN_BYTES = 256 << 10  # smaller arrays: malloc keeps those in its heap anyway

_lock = threading.RLock()  # re-entrant: a collection inside may free an owner
_free: OrderedDict[int, list[np.ndarray]] = OrderedDict()  # byte size -> raw blocks, LRU
# limit: the most bytes kept; cached: bytes kept now; in_use: bytes of blocks arrays hold now
# (those given back by a collected cycle late count until then); peak: in_use's most since the
# last release(); asked: this stretch's bytes asked for by size (below); asked_most: the most a
# finished stretch asked for since the last release(), counting only the first stretch and those
# that asked for exactly what the one before did; first: this is the first stretch since then.
# A stretch ends where in_use reaches 0.
_state = {"limit": 1 << 30, "cached": 0, "in_use": 0, "peak": 0, "asked": 0, "asked_most": 0,
          "first": True}
_last: dict[int, int] = {}  # _most of the last finished stretch
_live: dict[int, int] = {}  # byte size -> blocks of it in use now
_most: dict[int, int] = {}  # byte size -> the most blocks of it in use at once in this stretch


def _new_lock_in_child() -> None:
    """A forked child's lock is free (a parent thread that held it does not exist there)."""
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


class _Owner:
    """The owner of one block's memory while arrays use it; gives it back when they are gone."""

    __slots__ = ("__array_interface__", "_raw", "_size")

    def __init__(self, raw: np.ndarray, size: int, shape: tuple[int, ...], dtype: np.dtype):
        address = raw.ctypes.data  # (each .ctypes access costs ~2 us)
        self._raw, self._size = raw, size
        self.__array_interface__ = {"data": (address + -address % LINE_BYTES, False),
                                    "shape": shape,
                                    "typestr": dtype.str, "version": 3}

    def __del__(self) -> None:
        # not contextlib.suppress: at interpreter shutdown module globals may already be None
        try:  # noqa: SIM105
            _give_back(self._raw, self._size)
        except Exception:
            pass


def _give_back(raw: np.ndarray, size: int) -> None:
    with _lock:
        _count_freed(raw.nbytes, size)
        keep = bound_bytes() - _state["in_use"]
        if raw.nbytes > keep:
            return  # larger than what may be kept: NumPy frees it
        while _state["cached"] + raw.nbytes > keep:
            _drop_oldest()  # the sizes given back longest ago make room (a run's shapes change)
        _free.setdefault(size, []).append(raw)
        _free.move_to_end(size)
        _state["cached"] += raw.nbytes


def _count_freed(nbytes: int, size: int) -> None:
    _state["in_use"] -= nbytes
    left = _live.get(size, 0) - 1
    if left > 0:
        _live[size] = left
    else:
        _live.pop(size, None)
    if _state["in_use"] <= 0 and not _live:  # no array alive: the stretch (a step) is over
        if _state["first"] or _most == _last:  # the first, or one that repeated the last
            _state["asked_most"] = max(_state["asked_most"], _state["asked"])
        _state["asked"], _state["first"] = 0, False
        _last.clear()
        _last.update(_most)
        _most.clear()


def _drop_oldest() -> None:
    size, blocks = next(iter(_free.items()))
    _state["cached"] -= blocks.pop(0).nbytes
    if not blocks:
        del _free[size]


def _take(size: int) -> np.ndarray | None:
    """A cached block for an array of `size` bytes, or None (the caller allocates size +
    LINE_BYTES, the oldest cached blocks freed first where it would pass the bound); either
    way counted in use."""
    with _lock:
        blocks = _free.get(size)
        raw = blocks.pop() if blocks else None
        if raw is None:
            _count_in_use(size + LINE_BYTES, size)
            while _free and _state["in_use"] + _state["cached"] > bound_bytes():
                _drop_oldest()
            return None
        if not blocks:
            del _free[size]
        _state["cached"] -= raw.nbytes
        _count_in_use(raw.nbytes, size)
        return raw


def _count_in_use(nbytes: int, size: int) -> None:
    in_use = _state["in_use"] + nbytes
    _state["in_use"] = in_use
    if in_use > _state["peak"]:
        _state["peak"] = in_use
    live = _live.get(size, 0) + 1
    _live[size] = live
    if live > _most.get(size, 0):
        _most[size] = live
        _state["asked"] += nbytes


def empty(shape: tuple[int, ...] | int, dtype=np.float64) -> np.ndarray:
    """An uninitialised C-contiguous array starting on a 64-byte line, its memory reused from
    a freed array of the same byte size when the cache holds one."""
    # math.prod, not np.prod: this runs hundreds of times a training step (np.prod ~7 us)
    shape = (shape,) if isinstance(shape, int) else tuple(map(int, shape))
    dtype = np.dtype(dtype)
    size = math.prod(shape) * dtype.itemsize
    if size < MIN_BYTES or _state["limit"] == 0:
        raw = np.empty(size + LINE_BYTES, np.uint8)
        start = -raw.ctypes.data % LINE_BYTES
        return raw[start:start + size].view(dtype).reshape(shape)
    raw = _take(size)
    if raw is None:
        raw = np.empty(size + LINE_BYTES, np.uint8)
    return np.asarray(_Owner(raw, size, shape, dtype))


def set_cache_limit(limit_bytes: int) -> None:
    """Keep at most `limit_bytes` of freed blocks for reuse (0: none, and free what is kept)."""
    if limit_bytes < 0:
        raise ValueError(f"the cache limit is a byte count >= 0; got {limit_bytes}")
    with _lock:
        _state["limit"] = int(limit_bytes)
        while _state["cached"] > _state["limit"]:
            _drop_oldest()


def release() -> None:
    """Free every block kept for reuse (the limit stays) and start a new peak: what a finished
    run calls, so the memory a training step reused is not held while the process does
    something else, and the next run keeps what its own steps use."""
    with _lock:
        while _free:
            _drop_oldest()
        _state["peak"] = _state["in_use"]
        _most.clear()
        _most.update(_live)
        _last.clear()
        _state["asked"] = _state["asked_most"] = _state["in_use"]
        _state["first"] = True


def cache_limit() -> int:
    """The most bytes of freed blocks kept for reuse."""
    return _state["limit"]


def cached_bytes() -> int:
    """Bytes of freed blocks held for reuse now."""
    return _state["cached"]


def peak_bytes() -> int:
    """The most bytes the workspace's arrays held at once since the last `release()`."""
    return _state["peak"]


def bound_bytes() -> int:
    """The most bytes kept and in use together: `peak_bytes()`, or more where a stretch between
    two moments with no array alive asked for more blocks by size (the first stretch since the
    last `release()`, and any that repeated the one before it), at most twice the peak and at
    most `cache_limit()`."""
    asked = max(_state["peak"], _state["asked_most"], _state["asked"] if _state["first"] else 0)
    return min(_state["limit"], 2 * _state["peak"], asked)
