"""Clears this folder's stale Numba caches on import (the package imports it first).

Kernels here call jitted helpers in other files of the folder (the panel tile, the activations,
the barrier), and Numba's cache knows only each kernel's own file: see
`seqlab.autograd.kernel_caches`, which this runs on the folder's `*.py`.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.autograd.kernel_cache_lock import lock_saves_if_requested
from seqlab.autograd.kernel_caches import (
    STAMP_NAME,
    clear_stale_caches,
    numba_cache_folders,
    sources_digest,
)
from seqlab.autograd.runtime_cache import install_if_requested

__all__ = ["STAMP_NAME", "clear_stale_caches", "numba_cache_folders", "sources_digest"]

clear_stale_caches(Path(__file__).parent)
# Numba's runtime from cached object code where a command asked for it (see
# seqlab.autograd.runtime_cache)
install_if_requested()
# one process at a time saves a cache entry, where a command asked for it (see
# seqlab.autograd.kernel_cache_lock)
lock_saves_if_requested()
