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
(CPython frees it at once; inside a reference cycle, when the cycle is collected). Bounds: at most
`cache_limit()` bytes are kept (1 GiB by default; `set_cache_limit(0)` turns the cache off
and frees what it holds), and never more than `peak_bytes()`, the most its arrays held at once
since the last `release()`: a step of fixed shapes takes back every block the last one freed
(they were all in use at once), while a run whose shapes change (bucketed lengths, a validation
batch) keeps no more than its largest step held, not up to the limit in sizes it never needed
together. Only arrays of at least 256 KiB go through it. The limit holds a word LM's two
(rows, vocab) arrays, logits and their softmax/gradient (batch 128 x 35 steps, vocab 20k,
float32: 358 MB each; at 256 MiB neither was kept, and faulting them in afresh on the loaded
2-core VM cost 0.5 s CPU of a 3 s step).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np

LINE_BYTES = 64
MIN_BYTES = 256 << 10  # smaller arrays: malloc keeps those in its heap anyway

_lock = threading.RLock()  # re-entrant: a collection inside may free an owner
_free: OrderedDict[int, list[np.ndarray]] = OrderedDict()  # byte size -> raw blocks, LRU
# limit: the most bytes kept; cached: bytes kept now; in_use: bytes of blocks arrays hold now
# (those given back by a collected cycle late count until then); peak: in_use's most since the
# last release()
_state = {"limit": 1 << 30, "cached": 0, "in_use": 0, "peak": 0}


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
        _state["in_use"] -= raw.nbytes
        keep = min(_state["limit"], _state["peak"])
        if raw.nbytes > keep:
            return  # larger than the whole cache: NumPy frees it
        while _state["cached"] + raw.nbytes > keep:
            _drop_oldest()  # the sizes given back longest ago make room (a run's shapes change)
        _free.setdefault(size, []).append(raw)
        _free.move_to_end(size)
        _state["cached"] += raw.nbytes


def _drop_oldest() -> None:
    size, blocks = next(iter(_free.items()))
    _state["cached"] -= blocks.pop(0).nbytes
    if not blocks:
        del _free[size]


def _take(size: int) -> np.ndarray | None:
    """A cached block for an array of `size` bytes, or None (the caller allocates size +
    LINE_BYTES); either way counted in use."""
    with _lock:
        blocks = _free.get(size)
        raw = blocks.pop() if blocks else None
        if raw is None:
            _count_in_use(size + LINE_BYTES)
            return None
        if not blocks:
            del _free[size]
        _state["cached"] -= raw.nbytes
        _count_in_use(raw.nbytes)
        return raw


def _count_in_use(nbytes: int) -> None:
    in_use = _state["in_use"] + nbytes
    _state["in_use"] = in_use
    if in_use > _state["peak"]:
        _state["peak"] = in_use


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


def cache_limit() -> int:
    """The most bytes of freed blocks kept for reuse."""
    return _state["limit"]


def cached_bytes() -> int:
    """Bytes of freed blocks held for reuse now."""
    return _state["cached"]


def peak_bytes() -> int:
    """The most bytes the workspace's arrays held at once since the last `release()`: the
    cache keeps no more than this (nor more than `cache_limit()`)."""
    return _state["peak"]
