"""Arrays that start on a 64-byte cache line, for weights and the state read beside them.

Where malloc puts an array is set by everything the process allocated before it, so the same
model in two processes gets its weights 0, 16, 32 or 48 bytes past a 64-byte line; a recurrent
loop's per-step `h @ W_hh^T` read them 13-17% slower at 16 or 48 bytes past (OpenBLAS, AMD EPYC
Zen 4, `benchmarks/weight_placement.py`), a lottery that moved batch-1 inference by 5-16% from
run to run. Parameters (`nn.Parameter`) and optimizer state therefore live in arrays made here.

Each array is a C-contiguous view into one over-allocated byte buffer (at most 63 bytes more than
the data), which is its `base` and the only buffer: views keep it alive, nothing is doubled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

LINE_BYTES = 64


def empty(shape: Any, dtype: Any) -> np.ndarray:
    """An uninitialized C-contiguous array whose data starts on a 64-byte line (unless it is
    empty: NumPy may move an empty view's address)."""
    dtype = np.dtype(dtype)
    shape = tuple(shape) if np.ndim(shape) else (int(shape),)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + LINE_BYTES - 1, np.uint8)
    start = -raw.ctypes.data % LINE_BYTES
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def zeros(shape: Any, dtype: Any) -> np.ndarray:
    """`empty`, filled with zeros."""
    array = empty(shape, dtype)
    array.fill(0)
    return array


def full(shape: Any, value: Any, dtype: Any) -> np.ndarray:
    """`empty`, filled with `value`."""
    array = empty(shape, dtype)
    array.fill(value)
    return array


def copy(array: Any, dtype: Any = None) -> np.ndarray:
    """A C-contiguous copy of `array` (cast to `dtype` if given) starting on a 64-byte line."""
    source = np.asarray(array)
    result = empty(source.shape, source.dtype if dtype is None else dtype)
    np.copyto(result, source, casting="unsafe")
    return result


def is_on_line(array: np.ndarray) -> bool:
    """Whether `array` is C-contiguous and its data starts on a 64-byte line (an empty array,
    which reads no memory, always is)."""
    return array.flags.c_contiguous and (array.size == 0 or array.ctypes.data % LINE_BYTES == 0)


def on_line(array: np.ndarray) -> np.ndarray:
    """`array` itself when it is C-contiguous and starts on a 64-byte line, else `copy(array)`
    (a copy with the same values, bit for bit)."""
    return array if is_on_line(array) else copy(array)
