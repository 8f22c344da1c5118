"""Give back the resident pages of a read-only memory map while a pass over it moves on.

Every page of a memory-mapped file that a process reads stays in its resident set until the
kernel needs the memory: one pass over a 1 GB id cache makes the process 1 GB larger (the
figure `/usr/bin/time -v` reports), although the pages are only a copy of the file. A
`PageReleaser` counts the bytes a reader has gone over and, every `every_bytes`, tells the
kernel it no longer needs the mapping (`madvise(MADV_DONTNEED)`): the pages leave the resident
set and come back from the page cache, at the cost of a minor fault, when they are read again.
The file's content never changes; arrays that are not memory maps are left alone.
"""

from __future__ import annotations

import contextlib
import mmap
from typing import Any

DEFAULT_EVERY_BYTES = 16 << 20


def backing_mmap(array: Any) -> mmap.mmap | None:
    """The `mmap.mmap` an array (a `np.memmap` or a view of one) reads from, or None."""
    seen = 0
    while array is not None and seen < 64:
        if isinstance(array, mmap.mmap):
            return array
        mapped = getattr(array, "_mmap", None)
        if isinstance(mapped, mmap.mmap):
            return mapped
        array = getattr(array, "base", None)
        seen += 1
    return None


class PageReleaser:
    """Drops the resident pages of some arrays' memory maps every `every_bytes` bytes read."""

    def __init__(self, *arrays: Any, every_bytes: int = DEFAULT_EVERY_BYTES) -> None:
        maps = {id(m): m for m in map(backing_mmap, arrays) if m is not None}
        can_advise = hasattr(mmap.mmap, "madvise") and hasattr(mmap, "MADV_DONTNEED")
        self.maps = list(maps.values()) if can_advise else []
        self.every_bytes = every_bytes
        self.pending = 0

    def advance(self, nbytes: int) -> None:
        """Count `nbytes` more bytes read; release the pages once `every_bytes` are pending."""
        if not self.maps:
            return
        self.pending += nbytes
        if self.pending >= self.every_bytes:
            self.release()

    def release(self) -> None:
        """Drop every resident page of the maps now (they are read again from the page cache)."""
        self.pending = 0
        for mapped in self.maps:
            # closed, or a kernel without it: keep the pages
            with contextlib.suppress(OSError, ValueError):
                mapped.madvise(mmap.MADV_DONTNEED)
