"""One process at a time saves an entry of a Numba cache index (`lock_cache_saves`).

Numba writes each cache file atomically, but one entry is two files: `IndexDataCacheFile.save`
reads the kernel's index (`NAME.nbi`), picks the first data-file number the index does not
name, rewrites the index, then writes the data file (`NAME.N.nbc`). Two processes saving
DIFFERENT signatures of one kernel at the same moment both pick number 1: the index one of them
leaves names the data file the other wrote last, and every later process loads that code for
the wrong signature (numba 0.68.1: `f(1.5)` returned 2, the int64 code run on a float; numba
issue 10128 is the same race for gufuncs, open, no release fixes it). Two `seqlab` commands
started together on a cold cache (after an install or an upgrade) compile the float32 and
float64 signatures of a kernel at once.

`lock_cache_saves()` wraps that `save` in a `FileLock` on `.NAME.nbi.seqlab-lock` beside the
index (deleted on release; a folder that cannot be locked saves unlocked, as before). Loads
need no lock: an index naming a data file not yet written is a miss, and the kernel compiles.

Why this way: Numba's documented cache extension points (cache locators) choose where a cache
lives, not how it saves; replacing each dispatcher's private `_cache` would touch every kernel
(~190 in 31 files); a lock around the CLI's warm-up covers training's first step only, not the
kernels a decode, an evaluation or a later step compiles. It replaces a method of Numba's for
the whole process, so importing seqlab never does it: the `seqlab` commands own their process
and ask for it (`LOCKED_SAVES.request()`, a `DeferredRequest` the kernel packages' cache
guards apply just before the first kernel loads, so a command that loads no kernel never
imports Numba); a library user may call `lock_cache_saves()` for their own process, and the
tests' conftest does.
"""

from __future__ import annotations

import contextlib
import functools

from seqlab.autograd.deferred_requests import DeferredRequest
from seqlab.autograd.file_lock import FileLock, lock_path


def lock_cache_saves() -> bool:
    """Make every Numba cache save in this process hold a lock beside the index it rewrites
    (see the module docs). Returns True when installed (now or before), False where this Numba
    has no `IndexDataCacheFile.save` to wrap."""
    try:
        from numba.core.caching import IndexDataCacheFile
    except ImportError:  # another Numba's internals
        return False
    save = getattr(IndexDataCacheFile, "save", None)
    if save is None:
        return False
    if getattr(save, "_seqlab_locked", False):
        return True

    @functools.wraps(save)
    def locked_save(self, key, data):
        lock = FileLock(lock_path(self._index_path), holder="a Numba cache save")
        with contextlib.suppress(OSError):  # as where a folder cannot be locked: unlocked
            lock.acquire()
        try:
            save(self, key, data)
        finally:
            lock.release()

    locked_save._seqlab_locked = True
    IndexDataCacheFile.save = locked_save
    return True


def saves_locked() -> bool:
    """Whether this process's Numba cache saves hold the lock (`lock_cache_saves`); imports
    no Numba that is not imported yet."""
    import sys

    caching = sys.modules.get("numba.core.caching")
    save = getattr(getattr(caching, "IndexDataCacheFile", None), "save", None)
    return bool(getattr(save, "_seqlab_locked", False))


# what the `seqlab` commands ask for (`LOCKED_SAVES.request()`, importing nothing)
LOCKED_SAVES = DeferredRequest(lock_cache_saves)
