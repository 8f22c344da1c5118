"""Numba's on-disk cache knows only each kernel's own file: clear it when any kernel source changes.

A kernel compiled with `cache=True` is stored beside its file (`__pycache__/*.nbi`, `*.nbc`) and
reused while that file's modification time and size are unchanged. Kernels in this folder call
jitted helpers in other files of it (the panel tile, the activations, the barrier), whose code is
compiled into the caller: after a `git pull` or an edit that changes only a helper, the caller's
cache would keep the old helper, silently (or, for the panel tile's width, writing past an
output). Importing this module (the package imports it first) runs `clear_stale_caches` on its
own folder: a digest of every source file is kept beside the caches, and when it changes the
folder's caches are deleted, so the next call compiles afresh. Installed wheels rewrite every
file, so only source checkouts were exposed. Every place Numba may keep these caches is guarded
(`NUMBA_CACHE_DIR`, beside the sources, the user-wide cache folder). One limit remains: a process
that imported the old sources and compiles a new specialisation after the stamp was renewed
writes a cache with the old helper inside; restart long-lived processes after changing kernels.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

STAMP_NAME = "seqlab-kernel-sources.sha256"


def sources_digest(folder: Path) -> str:
    """SHA-256 over the names and contents of the folder's `*.py` files, in name order.

    Every file counts, the NumPy references too: editing one costs a recompile, never a miss.
    """
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0")
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


def clear_stale_caches(folder: Path, cache_folders: list[Path] | None = None) -> bool:
    """Delete the Numba caches of `folder`'s kernels unless they were written for today's sources.

    `cache_folders` (default `numba_cache_folders`): the first is created if missing and stamped;
    the others are cleared and stamped where they exist. Returns True when caches were deleted.
    A folder that cannot be read or written is left as it is.
    """
    try:
        digest = sources_digest(folder)
    except OSError:
        return False
    if cache_folders is None:
        cache_folders = numba_cache_folders(folder)
    deleted = False
    for rank, cache in enumerate(cache_folders):
        if rank and not cache.is_dir():
            continue
        deleted |= _clear_unless_stamped(cache, digest)
    return deleted


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


clear_stale_caches(Path(__file__).parent)
