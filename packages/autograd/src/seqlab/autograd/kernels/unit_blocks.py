"""How a recurrent layer's hidden units are split among the parts of a time-loop team."""

import numpy as np
from numba import njit

UNIT_ALIGN = 16  # 16 float32 = one 64-byte line: parts never write the same cache line of a row
LINE_BYTES = 64  # (of a row that starts on a line: arrays parts share come from `line_aligned`)


@njit(cache=True, nogil=True)
def unit_block(hidden, part, parts):
    """[start, stop) of the hidden units part `part` of `parts` owns: contiguous, near-equal,
    multiples of UNIT_ALIGN but for the last (needs parts <= max_parts(hidden))."""
    if parts == 1:
        return 0, hidden
    chunks = (hidden + UNIT_ALIGN - 1) // UNIT_ALIGN
    start = min(hidden, chunks * part // parts * UNIT_ALIGN)
    stop = min(hidden, chunks * (part + 1) // parts * UNIT_ALIGN)
    return start, stop


def max_parts(hidden: int) -> int:
    """The most parts `hidden` units split into with at least one aligned block each."""
    return max(1, -(-hidden // UNIT_ALIGN))


def gate_rows(weight: np.ndarray, gate_count: int, start: int, stop: int) -> np.ndarray:
    """The rows of a (G*H, K) gate-stacked weight for units [start, stop), gate by gate,
    as one contiguous (G * (stop - start), K) array."""
    hidden = weight.shape[0] // gate_count
    return np.ascontiguousarray(np.concatenate(
        [weight[gate * hidden + start:gate * hidden + stop] for gate in range(gate_count)]))


def line_aligned(shape: tuple[int, ...], dtype, fill=None) -> np.ndarray:
    """An empty (or `fill`-copied) C-contiguous array whose data starts on a 64-byte line.

    malloc gives NumPy 16-byte alignment, so rows split at 16-unit boundaries still shared a
    line between two parts now and then (false sharing: the LSTM forward loop on 2 parts ran
    3-5% slower with the base 16 or 32 bytes past a line)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(size + LINE_BYTES, np.uint8)
    start = -buffer.ctypes.data % LINE_BYTES
    array = buffer[start:start + size].view(dtype).reshape(shape)
    if fill is not None:
        array[...] = fill
    return array
