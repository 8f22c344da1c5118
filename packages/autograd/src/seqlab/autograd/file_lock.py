"""`FileLock`: one process at a time writes a file, and the operating system releases the lock.

Two runs writing one output (a model, an id cache) at once would each replace the other's file
(`seqlab.autograd.atomic` keeps every file whole, not the work of both). The lock is an advisory
`fcntl.flock` on a hidden lock file beside the target, `.NAME.lock`:

- the kernel drops it when the holding process ends in any way (exit, crash, `kill -9`), so a
  lock file a killed run left behind blocks nobody: the next run locks it and carries on;
- the holder writes its process id, host and command into the file, so a refused run can say
  which process holds it;
- the holder deletes the lock file when it releases it (while still holding it); a waiter that
  got the lock on a file deleted meanwhile sees that its file is no longer the one at the path
  (another inode, or none) and tries again, so two processes never both believe they hold it;
- where no lock can be taken, the caller goes on unlocked, as before this module (`held` is
  False and `reason` says why): a folder that is read-only or not ours (a read-only cache is
  only read, and writing an output there fails on its own), or a file system without locks
  (`ENOLCK`/`EOPNOTSUPP`: some network or FUSE mounts; NFS v4 and Linux NFS v3 with lockd
  take flock as a byte-range lock and work). Refusing every run there would make seqlab
  unusable on such a mount for a rare race; the README says so.

The lock file is written in place, not through `seqlab.autograd.atomic`: the lock belongs to its
inode, so replacing the file would hand a second process a fresh, unlocked one; what is written
in it is a note for a refused run, never data.

Why not the `filelock` package (which Hugging Face datasets wraps): its Unix lock is the same
flock, but it records no holder (our refusal names the process) and keeps every lock file
after release on purpose (tox-dev/filelock#574, #577: deleting one without re-checking lets a
waiter lock the deleted inode while a newcomer locks a new one); deleting while held and
checking the inode after locking, as here (and as columnar-tech/dbc#375 does), closes that race
and leaves no files behind, in about a hundred lines of stdlib.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import time
from pathlib import Path

# flock not possible here: go on unlocked (see the module docstring)
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL}
_NOT_OURS = {errno.EACCES, errno.EPERM, errno.EROFS}
_HOLDER_BYTES = 4096

try:  # POSIX; on a platform without fcntl every lock is "unsupported"
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class LockHeldError(Exception):
    """Another process holds the lock; `holder` is what it wrote about itself ("" if unread)."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is locked by {holder or 'another process'}")
        self.path = path
        self.holder = holder


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of `target`: `.NAME.lock` in the same folder (the folder's links resolved,
    so `./m.safetensors` and `/abs/path/m.safetensors` share one lock)."""
    target = Path(target).expanduser()
    folder = target.absolute().parent
    with contextlib.suppress(OSError):
        folder = folder.resolve()
    return folder / f".{target.name}.lock"


def describe_process(command: str | None = None) -> str:
    """What a holder writes about itself: `process PID on HOST (started HH:MM:SS UTC: COMMAND)`."""
    command = command if command is not None else " ".join(sys.argv)
    started = time.strftime("%H:%M:%S UTC", time.gmtime())
    text = f"process {os.getpid()} on {socket.gethostname()} (started {started}: {command})"
    return text[:_HOLDER_BYTES - 1]


class FileLock:
    """An exclusive lock on `path` (a lock file, see `lock_path`), as a context manager:

        with FileLock(lock_path(out)):            # waits for the holder
        FileLock(lock_path(out), wait=False).acquire()   # raises LockHeldError at once

    `held` says whether the lock was taken; False with a `reason` where locking is impossible
    (the caller then goes on unlocked). Not reentrant: one FileLock per path per process.
    """

    def __init__(self, path: str | os.PathLike[str], *, wait: bool = True,
                 holder: str | None = None) -> None:
        self.path = Path(path)
        self.wait = wait
        self.holder = holder
        self.held = False
        self.reason = ""
        self._fd: int | None = None

    def acquire(self) -> FileLock:
        """Take the lock (waiting for it, or raising `LockHeldError` when `wait` is False)."""
        if self._fd is not None:
            return self
        if fcntl is None:
            self.reason = "this platform has no fcntl locks"
            return self
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                if error.errno in _NOT_OURS:
                    self.reason = f"cannot create {self.path}: {error.strerror}"
                    return self
                raise
            if self._lock(fd) is False:
                os.close(fd)
                with contextlib.suppress(OSError):  # nobody can lock it: leave nothing behind
                    self.path.unlink()
                return self
            if self._still_at_path(fd):
                break
            os.close(fd)  # the holder deleted the file as we waited on it: lock the new one
        self._fd = fd
        self.held = True
        self._write_holder(fd)
        return self

    def _lock(self, fd: int) -> bool:
        """flock `fd`; False when the file system cannot lock (reason set)."""
        flags = fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB)
        while True:
            try:
                fcntl.flock(fd, flags)
                return True
            except InterruptedError:
                continue
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise LockHeldError(self.path, holder) from None
            except OSError as error:
                if error.errno in _UNSUPPORTED:
                    self.reason = f"the file system cannot lock {self.path}: {error.strerror}"
                    return False
                os.close(fd)
                raise

    def _still_at_path(self, fd: int) -> bool:
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (at_path.st_dev, at_path.st_ino) == (mine.st_dev, mine.st_ino)

    def _write_holder(self, fd: int) -> None:
        text = (self.holder if self.holder is not None else describe_process()) + "\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, text.encode("utf-8", "replace")[:_HOLDER_BYTES], 0)
        except OSError:
            pass  # the note is a courtesy: a full disk must not stop the lock

    def release(self) -> None:
        """Delete the lock file and drop the lock (releasing twice is harmless)."""
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while held: nobody can hold this inode yet
        except OSError:
            pass
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
            self.held = False

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        return os.pread(fd, _HOLDER_BYTES, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
