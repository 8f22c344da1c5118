"""Numba's on-disk cache knows only each kernel's own file: clear it when any kernel source changes.

A kernel compiled with `cache=True` is stored beside its file (`__pycache__/*.nbi`, `*.nbc`) and
reused while that file's modification time and size are unchanged. A kernel that calls a jitted
helper of another file has the helper's code compiled into it: after a `git pull` or an edit
that changes only the helper, the caller's cache would keep the old helper, silently (or, for a
tile width, writing past an output). `clear_stale_caches` keeps a digest of a package's kernel
sources beside the caches of every folder that holds one, and when the digest changes it deletes
those caches, so the next call compiles afresh. Installed wheels rewrite every file, so only
source checkouts were exposed. Every place Numba may keep caches is guarded (`NUMBA_CACHE_DIR`,
beside the sources, the user-wide cache folder). One limit remains: a process that imported the
old sources and compiles a new specialisation after the stamp was renewed writes a cache with
the old helper inside; restart long-lived processes after changing kernels.

This module imports no kernels (of Numba only its cache locators, to find the folders), so a
package's kernel modules can run the guard first thing: `seqlab.autograd.kernels.cache_guard`
for that folder, and `seqlab.nlp.kernel_caches` for every `*kernels*.py` of `seqlab.nlp`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

STAMP_NAME = "seqlab-kernel-sources.sha256"


def kernel_sources(root: Path, pattern: str = "*.py") -> list[Path]:
    """The files under `root` that `pattern` matches (`**/` reaches into subfolders), in order."""
    return sorted(path for path in root.glob(pattern) if "__pycache__" not in path.parts)


def sources_digest(root: Path, pattern: str = "*.py") -> str:
    """SHA-256 over the relative names and contents of the sources `pattern` matches, in order.

    Every matched file counts, NumPy references too: editing one costs a recompile, never a miss.
    """
    digest = hashlib.sha256()
    for path in kernel_sources(root, pattern):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def numba_cache_folders(folder: Path) -> list[Path]:
    """Where Numba may keep caches of `folder`'s kernels, the one it writes to now first.

    Numba's own order: `NUMBA_CACHE_DIR` when set, else `__pycache__` beside the sources when
    writable, else the user-wide cache folder; the others are listed too, since a cache may be
    left there from a run with other settings.
    """
    from numba.core import caching, config

    beside = folder / "__pycache__"
    elsewhere = []
    source = str(folder / "__init__.py")
    # (public names since Numba 0.61; underscored before)
    user_given, user_wide = (getattr(caching, name, None) or getattr(caching, f"_{name}", None)
                             for name in ("UserProvidedCacheLocator", "UserWideCacheLocator"))
    locators = [user_given] if config.CACHE_DIR else []
    for locator in [*locators, user_wide]:
        if locator is None:
            continue
        try:
            elsewhere.append(Path(locator(_probe, source).get_cache_path()))
        except (AttributeError, TypeError, ValueError, OSError):  # another Numba's internals
            continue
    writable_beside = os.access(beside if beside.is_dir() else folder, os.W_OK)
    if config.CACHE_DIR and elsewhere:
        return [elsewhere[0], beside, *elsewhere[1:]]
    return [beside, *elsewhere] if writable_beside else [*elsewhere, beside]


def _probe() -> None:
    """A function for Numba's cache locators to place (they read its first line number)."""


def clear_stale_caches(root: Path, cache_folders: list[Path] | None = None, *,
                       pattern: str = "*.py",
                       locate: Callable[[Path], list[Path]] = numba_cache_folders) -> bool:
    """Delete the Numba caches of `root`'s kernels unless they were written for today's sources.

    The digest covers every file `pattern` matches; with `**/` in it the kernels may sit in
    several folders and call each other's helpers, and the caches of every folder holding one are
    cleared together. `cache_folders` (one folder of kernels: `root`) or else `locate(folder)` per
    kernel folder: the first is created if missing and stamped; the others are cleared and stamped
    where they exist. Returns True when caches were deleted. A folder that cannot be read or
    written is left as it is.
    """
    try:
        sources = kernel_sources(root, pattern)
        digest = sources_digest(root, pattern)
    except OSError:
        return False
    if cache_folders is not None:
        per_folder = [cache_folders]
    else:
        per_folder = [locate(folder) for folder in sorted({path.parent for path in sources})]
    deleted = False
    for caches in per_folder:
        for rank, cache in enumerate(caches):
            if rank and not os.path.isdir(cache):  # (False where it cannot be entered)
                continue
            deleted |= _clear_unless_stamped(cache, digest)
    return deleted


def prepare_kernel_caches(root: Path, pattern: str = "*.py") -> None:
    """What a kernel package runs before any of its kernels loads a cache: clear the stale
    caches of `root`'s `pattern` files, then apply what the command asked for its process
    (Numba's runtime from cached object code, `runtime_cache`; one process at a time saving a
    cache entry, `kernel_cache_lock`; LLVM's clean pages given back after each kernel loads,
    `llvm_pages`; Numba's start without SciPy's BLAS probe, `blas_probe`). Nothing is asked
    when seqlab is imported as a library."""
    from seqlab.autograd.blas_probe import SKIPPED_BLAS_PROBE
    from seqlab.autograd.kernel_cache_lock import LOCKED_SAVES
    from seqlab.autograd.llvm_pages import RELEASED_LLVM_PAGES
    from seqlab.autograd.runtime_cache import CACHED_RUNTIME

    clear_stale_caches(root, pattern=pattern)
    CACHED_RUNTIME.apply_if_requested()
    LOCKED_SAVES.apply_if_requested()
    RELEASED_LLVM_PAGES.apply_if_requested()
    SKIPPED_BLAS_PROBE.apply_if_requested()


def _clear_unless_stamped(cache: Path, digest: str) -> bool:
    stamp = cache / STAMP_NAME
    partial = cache / f"{STAMP_NAME}.{os.getpid()}.tmp"
    try:
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return False
        stale = [*cache.glob("*.nbi"), *cache.glob("*.nbc")]
        for path in stale:
            path.unlink(missing_ok=True)
        cache.mkdir(parents=True, exist_ok=True)
        partial.write_text(digest + "\n")
        os.replace(partial, stamp)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return False
    return bool(stale)
