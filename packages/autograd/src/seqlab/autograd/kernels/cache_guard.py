"""Clears this folder's stale Numba caches on import (the package imports it first).

Kernels here call jitted helpers in other files of the folder (the panel tile, the activations,
the barrier), and Numba's cache knows only each kernel's own file: see
`seqlab.autograd.kernel_caches`, which this runs on the folder's `*.py`.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.autograd.kernel_caches import (
    STAMP_NAME,
    clear_stale_caches,
    numba_cache_folders,
    prepare_kernel_caches,
    sources_digest,
)

__all__ = ["STAMP_NAME", "clear_stale_caches", "numba_cache_folders", "sources_digest"]

# also Numba's runtime from cached object code and locked cache saves where a command asked
prepare_kernel_caches(Path(__file__).parent)
