"""Numba's on-disk cache knows only each kernel's own file: clear it when any kernel source changes.

A kernel compiled with `cache=True` is stored beside its file (`__pycache__/*.nbi`, `*.nbc`) and
reused while that file's modification time and size are unchanged. Kernels in this folder call
jitted helpers in other files of it (the panel tile, the activations, the barrier), whose code is
compiled into the caller: after a `git pull` or an edit that changes only a helper, the caller's
cache would keep the old helper, silently (or, for the panel tile's width, writing past an
output). Importing this module (the package imports it first) runs `clear_stale_caches` on its
own folder: a digest of every source file is kept beside the caches, and when it changes the
folder's caches are deleted, so the next call compiles afresh. Installed wheels rewrite every
file, so only source checkouts were exposed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

STAMP_NAME = "seqlab-kernel-sources.sha256"


def sources_digest(folder: Path) -> str:
    """SHA-256 over the names and contents of the folder's `*.py` files, in name order."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def clear_stale_caches(folder: Path) -> bool:
    """Delete `folder/__pycache__`'s Numba caches unless they were written for today's sources.

    Returns True when caches were deleted. A folder that cannot be read or written (an install
    where Numba keeps its cache elsewhere) is left as it is.
    """
    cache = folder / "__pycache__"
    stamp = cache / STAMP_NAME
    try:
        digest = sources_digest(folder)
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return False
        stale = [*cache.glob("*.nbi"), *cache.glob("*.nbc")]
        for path in stale:
            path.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        partial = cache / f"{STAMP_NAME}.{os.getpid()}.tmp"
        partial.write_text(digest + "\n")
        os.replace(partial, stamp)
    except OSError:
        return False
    return bool(stale)


clear_stale_caches(Path(__file__).parent)
