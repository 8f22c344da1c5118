"""`scratch_folder`: the temporary folder an n-gram count spills into, which a run killed with
`kill -9` (no `finally` runs) would leave behind, large, for good.

Each run holds an `fcntl.flock` on a lock file inside its folder while it lives; the kernel
drops the lock however the process ends. A new run first removes the stale folders of the
same temporary folder: only those named as seqlab names them (`seqlab-ngram-` and tempfile's
8 random characters), real folders (not links) of this user that hold seqlab's lock file, and
only while it holds that lock, so never a folder a live run uses. The lock file appears in a
folder already locked (created under another name, locked, then renamed), so no run can find
it unlocked in the moment between its creation and its lock. Folders without the lock file
(written before it, or on a file system without locks, where the run goes on unlocked) are
left as they are.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX; elsewhere nothing is locked and nothing is removed
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PREFIX = "seqlab-ngram-"
LOCK_NAME = ".seqlab-scratch.lock"
# tempfile.mkdtemp's names: PREFIX and 8 characters of "abcdefghijklmnopqrstuvwxyz0123456789_"
_NAME = re.compile(re.escape(PREFIX) + r"[a-z0-9_]{8}")


@contextlib.contextmanager
def scratch_folder(scratch_dir: str | Path | None = None) -> Iterator[Path]:
    """A new folder under `scratch_dir` (default: the system's temporary folder), locked as
    this run's while the block runs and removed after it; stale ones are removed first."""
    remove_stale_scratch(scratch_dir)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=scratch_dir))
    lock = _hold_lock(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # still locked: no other run removes it
        if lock is not None:
            os.close(lock)


def remove_stale_scratch(scratch_dir: str | Path | None = None) -> list[Path]:
    """Remove the scratch folders under `scratch_dir` that no live run holds (see the module
    docstring for which); returns those removed. Never raises for a folder it cannot read."""
    if fcntl is None:
        return []
    parent = Path(scratch_dir if scratch_dir is not None else tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    for entry in entries:
        if _NAME.fullmatch(entry.name) and _remove_if_free(Path(entry.path)):
            removed.append(Path(entry.path))
    return removed


def _remove_if_free(folder: Path) -> bool:
    """Remove `folder` if it is this user's real folder and its lock file can be locked."""
    try:
        if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
            return False
        fd = os.open(folder / LOCK_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:  # no lock file (not seqlab's, or unlocked): leave it
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a live run holds it, or nothing can be locked here
        os.close(fd)
        return False
    try:
        shutil.rmtree(folder, ignore_errors=True)  # held while removed: no other run takes it
    finally:
        os.close(fd)
    return not folder.exists()


def _hold_lock(folder: Path) -> int | None:
    """An open descriptor holding the lock on `folder`'s lock file, or None where no lock can
    be taken (then no lock file is left, and the folder is never removed by another run)."""
    if fcntl is None:
        return None
    making = folder / (LOCK_NAME + ".new")
    fd = os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        making.unlink(missing_ok=True)
        return None
    os.replace(making, folder / LOCK_NAME)
    return fd
