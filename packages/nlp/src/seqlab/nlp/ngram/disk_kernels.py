"""Numba kernels for the range passes of `disk_arrays` (no boolean masks or temporaries per
block). Plain ndarrays in and out."""

from __future__ import annotations

from numba import njit

# Before any kernel below loads a cache: clears stale caches of every seqlab.nlp kernel file.
from seqlab.nlp import kernel_caches  # noqa: F401


@njit(cache=True)
def count_in_range(rows, low, high, counts):
    """counts[r - low] += 1 for every r in `rows` with low <= r < high."""
    for i in range(rows.shape[0]):
        r = rows[i]
        if low <= r < high:
            counts[r - low] += 1


@njit(cache=True)
def gather_in_range(rows, low, high, values, out):
    """out[i] = values[rows[i] - low] wherever low <= rows[i] < high (the rest is kept)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        if low <= r < high:
            out[i] = values[r - low]
