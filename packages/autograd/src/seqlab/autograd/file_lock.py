"""`FileLock`: one process at a time writes a file, and the operating system releases the lock.

Two runs writing one output (a model, an id cache) at once would each replace the other's file
(`seqlab.autograd.atomic` keeps every file whole, not the work of both). The lock is an advisory
`fcntl.flock` on a hidden lock file beside the target, `.NAME.seqlab-lock` (a name no user's
file has by chance: a `.NAME.lock` of the user's own is never touched):

- the kernel drops it when the holding process ends in any way (exit, crash, `kill -9`), so a
  lock file a killed run left behind blocks nobody: the next run locks it and carries on;
- the holder writes a mark line (`MARK`) and its process id, host and command into the file,
  so a refused run can say which process holds it;
- the holder deletes the lock file when it releases it (while still holding it, and only if
  the file at the path is still the one it locked); a waiter that got the lock on a file
  deleted meanwhile sees that its file is no longer the one at the path (another inode, or
  none) and tries again, so two processes never both believe they hold it;
- a file at the lock path that seqlab did not write (neither created by this call, empty,
  nor starting with `MARK`), or a link there, is left as it is: the caller goes on unlocked
  (`foreign`), as where another user's lock file cannot be opened for writing. Lock files
  are created 0666 less the umask: a group sharing a folder (umask 002) shares its lock
  files; under umask 022 another user's run cannot open one, and the CLI says so in a line;
- where no lock can be taken, the caller goes on unlocked, as before this module (`held` is
  False and `reason` says why): a folder that is read-only or not ours (a read-only cache is
  only read, and writing an output there fails on its own), or a file system without locks
  (`ENOLCK`/`EOPNOTSUPP`: some network or FUSE mounts; NFS v4 and Linux NFS v3 with lockd
  take flock as a byte-range lock and work). Refusing every run there would make seqlab
  unusable on such a mount for a rare race; the README says so. A run that cannot lock never
  deletes the lock file (an ENOLCK may be a busy NFS lockd while another process holds it):
  on a mount without locks an empty lock file stays beside the target.

The lock file is written in place, not through `seqlab.autograd.atomic`: the lock belongs to its
inode, so replacing the file would hand a second process a fresh, unlocked one; what is written
in it is a note for a refused run, never data.

Why not the `filelock` package (which Hugging Face datasets wraps): its Unix lock is the same
flock, but it records no holder (our refusal names the process) and keeps every lock file
after release on purpose (tox-dev/filelock#574, #577: deleting one without re-checking lets a
waiter lock the deleted inode while a newcomer locks a new one); deleting while held and
checking the inode after locking, as here (and as columnar-tech/dbc#375 does), closes that race
and leaves no files behind, in about a hundred and fifty lines of stdlib.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# flock not possible here: go on unlocked (see the module docstring)
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL}
_NOT_OURS = {errno.EACCES, errno.EPERM, errno.EROFS}
_HOLDER_BYTES = 4096
MARK = "seqlab lock file (deleted when its run ends)"  # the first line of every lock file
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

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
    """The lock file of `target`: `.NAME.seqlab-lock` in the same folder (the folder's links
    resolved, so `./m.safetensors` and `/abs/path/m.safetensors` share one lock)."""
    target = Path(target)
    folder = target.absolute().parent
    with contextlib.suppress(OSError):
        folder = folder.resolve()
    return folder / f".{target.name}.seqlab-lock"


def describe_process(command: str | Sequence[str] | None = None) -> str:
    """What a holder writes about itself: `process PID on HOST (started HH:MM:SS UTC: COMMAND)`,
    one line; a command given as arguments (by default sys.argv) is quoted as a shell needs it."""
    if command is None:
        command = sys.argv
    if not isinstance(command, str):
        command = shlex.join(command)
    started = time.strftime("%H:%M:%S UTC", time.gmtime())
    text = f"process {os.getpid()} on {socket.gethostname()} (started {started}: {command})"
    return _one_line(text)[:_HOLDER_BYTES - 1]


def _one_line(text: str) -> str:
    """`text` with its line breaks written as \\n and \\r: the holder is one line after MARK."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class FileLock:
    """An exclusive lock on `path` (a lock file, see `lock_path`), as a context manager:

        with FileLock(lock_path(out)):            # waits for the holder
        FileLock(lock_path(out), wait=False).acquire()   # raises LockHeldError at once

    `held` says whether the lock was taken; False with a `reason` where locking is impossible
    (the caller then goes on unlocked), and `foreign` where a file seqlab cannot use is at
    the path (not seqlab's, a link, another user's). Not reentrant: one FileLock per path per
    process.
    """

    def __init__(self, path: str | os.PathLike[str], *, wait: bool = True,
                 holder: str | None = None) -> None:
        self.path = Path(path)
        self.wait = wait
        self.holder = holder
        self.held = False
        self.reason = ""
        self.foreign = False
        self._fd: int | None = None

    def acquire(self) -> FileLock:
        """Take the lock (waiting for it, or raising `LockHeldError` when `wait` is False)."""
        if self._fd is not None:
            return self
        if fcntl is None:
            self.reason = "this platform has no fcntl locks"
            return self
        while True:
            opened = self._open()
            if opened is None:
                return self
            fd, created = opened
            try:
                if not self._lock(fd):
                    os.close(fd)  # (never unlinked: another process may hold this file)
                    return self
                if not self._still_at_path(fd):
                    os.close(fd)  # the holder deleted it as we waited on it: lock the new one
                    continue
                if not (created or _written_by_seqlab(fd)):
                    os.close(fd)
                    self._not_ours("is not a seqlab lock file")
                    return self
            except BaseException:  # LockHeldError, Ctrl-C while waiting: no fd left open
                with contextlib.suppress(OSError):
                    os.close(fd)
                raise
            break
        self._fd = fd
        self.held = True
        self._write_holder(fd)
        return self

    def _open(self) -> tuple[int, bool] | None:
        """(a descriptor of the lock file, whether this call created it), or None (reason
        set) where it cannot be opened for writing: created 0666 less the umask, or the one
        there opened without following a link."""
        flags = os.O_RDWR | os.O_CLOEXEC
        while True:
            try:
                return os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o666), True
            except FileExistsError:
                pass
            except OSError as error:
                if error.errno in _NOT_OURS:
                    self.reason = f"cannot create {self.path}: {error.strerror}"
                    return None
                raise
            try:
                return os.open(self.path, flags | _NOFOLLOW), False
            except FileNotFoundError:
                continue  # deleted by its holder since: create it
            except OSError as error:
                if error.errno in _NOT_OURS or error.errno == errno.ELOOP:
                    self._not_ours(f"cannot be opened for writing ({error.strerror})")
                    return None
                raise

    def _not_ours(self, why: str) -> None:
        self.foreign = True
        self.reason = f"{self.path} {why}"

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
                raise LockHeldError(self.path, _read_holder(fd)) from None
            except OSError as error:
                if error.errno in _UNSUPPORTED:
                    self.reason = f"the file system cannot lock {self.path}: {error.strerror}"
                    return False
                raise

    def _still_at_path(self, fd: int) -> bool:
        try:
            at_path = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (at_path.st_dev, at_path.st_ino) == (mine.st_dev, mine.st_ino)

    def _write_holder(self, fd: int) -> None:
        text = _one_line(self.holder if self.holder is not None else describe_process()) + "\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{MARK}\n{text}".encode("utf-8", "replace")[:_HOLDER_BYTES], 0)
        except OSError:
            pass  # the note is a courtesy: a full disk must not stop the lock

    def release(self) -> None:
        """Delete the lock file (if the file at the path is still the one locked) and drop the
        lock (releasing twice is harmless)."""
        if self._fd is None:
            return
        try:
            if self._still_at_path(self._fd):  # while held: nobody can hold this inode yet
                self.path.unlink()
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


def _written_by_seqlab(fd: int) -> bool:
    """Whether the file is empty (a holder killed before it wrote) or starts with `MARK`."""
    try:
        start = os.pread(fd, len(MARK.encode()) + 1, 0)
    except OSError:
        return False
    return start in (b"", f"{MARK}\n".encode())


def _read_holder(fd: int) -> str:
    """What the holder wrote about itself (after `MARK`), or ""."""
    try:
        text = os.pread(fd, _HOLDER_BYTES, 0).decode("utf-8", "replace")
    except OSError:
        return ""
    return text.removeprefix(f"{MARK}\n").strip()
