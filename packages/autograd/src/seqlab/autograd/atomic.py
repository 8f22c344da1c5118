"""`atomic_write`: the one way seqlab writes a file a user keeps.

The content goes to a temporary file in the target's folder, is flushed and fsynced, gets the
permissions a plain `open(path, "w")` would give (the user's umask, not mkstemp's 0600), and is
renamed over the target only when everything was written. On any failure (an exception, a full
disk, Ctrl-C) the temporary file is removed and the target is left as it was.

A target that is a symbolic link is written through: the file at the end of its links is
replaced (created, for a link to a file not there yet) and the link stays, as `open(path, "w")`,
a shell's `> path`, KenLM's lmplz, `torch.save` and gensim's `save` do; the temporary goes
beside that file, so the rename stays within its folder (`write_target`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

try:  # POSIX, as `file_lock`; without fcntl a temporary is not held (no platform claimed)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def current_umask() -> int:
    """The process's umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way: set and restore at once
    os.umask(mask)
    return mask


_MAX_LINKS = 40  # links followed before giving up, as Linux's path walk (ELOOP)


def write_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to `path` replaces: `path` itself, or, where `path` is a symbolic link,
    the path at the end of its links (which need not exist yet), relative links read from
    their own folder. OSError (ELOOP) for a loop of links."""
    target = Path(path)
    for _ in range(_MAX_LINKS):
        if not target.is_symlink():
            return target
        target = target.parent / os.readlink(target)  # an absolute link replaces the folder
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))


def temporary_path(path: str | os.PathLike[str]) -> Path:
    """A new, empty temporary file beside `path`'s `write_target` (same folder, so the rename
    is atomic)."""
    temporary, handle = _new_temporary(write_target(path), path)
    os.close(handle)
    return temporary


def _new_temporary(path: Path, given: str | os.PathLike[str]) -> tuple[Path, int]:
    """`temporary_path`'s file for target `path` (the file `given` names, through its links)
    and an open descriptor of it; errors name `given`."""
    directory = path.parent
    if not directory.is_dir():
        links = f", a link to {path}," if Path(given) != path else ""
        raise FileNotFoundError(
            f"cannot write {given}{links}: folder {directory} does not exist; create it first"
        )
    try:
        handle, name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:  # named for the file asked for, not the hidden temporary
        error.filename = str(given)
        if error.errno == errno.ENAMETOOLONG:
            error.strerror = (f"{error.strerror} (with the hidden temporary name written "
                              f"first, .{path.name}.XXXXXXXX.tmp)")
        raise
    return Path(name), handle


def _try_lock(handle: int) -> bool:
    """An exclusive flock on `handle` without waiting: False while another holds one (a live
    writer); True where it is taken or the file system or platform cannot lock."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks: as before they existed
        return True
    return True


# tempfile's random part: 8 characters of tempfile._RandomNameSequence's alphabet
_RANDOM_PART = r"[a-z0-9_]{8}"


def remove_stale_temporaries(folder: str | os.PathLike[str], target: str) -> list[Path]:
    """Remove, from `folder`, the temporaries `temporary_path` made for files whose names match
    the regex `target` (`.NAME.XXXXXXXX.tmp`), left by a writer that died before its rename
    (`kill -9`, a power cut); return their paths. Call it only while holding a lock that proves
    no live CLI run writes them (a claimed `CheckpointManager` folder, `--out`'s lock); any
    other name stays, and so does a temporary a live writer holds locked (`atomic_path`: a
    program saving through this module takes neither lock)."""
    temporary = re.compile(rf"\.(?:{target})\.{_RANDOM_PART}\.tmp")
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(folder):
            if temporary.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    if _remove_unheld(entry.path):
                        removed.append(Path(entry.path))
    return removed


def _remove_unheld(path: str) -> bool:
    """Remove the temporary at `path` unless a live writer holds its lock; whether removed."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not _try_lock(handle):
            return False
        os.unlink(path)
        return True
    finally:
        os.close(handle)


def commit_temporary(temporary: Path, path: str | os.PathLike[str]) -> None:
    """fsync `temporary`, give it the umask's permissions and rename it over `path` (over the
    file its links end at, when `path` is a link: `write_target`)."""
    path = write_target(path)
    with open(temporary, "rb+") as written:
        os.fsync(written.fileno())
    os.chmod(temporary, 0o666 & ~current_umask())
    os.replace(temporary, path)
    with contextlib.suppress(OSError):  # the rename itself durable where directories sync
        directory = os.open(Path(path).parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path for a writer that takes a file name (np.savez, safetensors);
    on success it replaces `path`, on any failure it is removed and `path` is untouched. The
    temporary is held under an exclusive flock until then, so that a stale-temporary cleanup
    (`remove_stale_temporaries`) leaves it alone."""
    target = write_target(path)
    temporary, handle = _new_temporary(target, path)
    try:
        _try_lock(handle)
        yield temporary
        commit_temporary(temporary, target)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename in (None, str(temporary)):
            error.filename = str(path)  # a full disk names the file the user asked for
        raise
    finally:
        os.close(handle)  # (the lock goes with it)


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = "\n",
) -> Iterator[IO[Any]]:
    """Open a file object to write `path` atomically: `with atomic_write(p) as f: f.write(...)`.

    `mode` is "w" (text, UTF-8 and "\\n" line ends by default) or "wb" (bytes).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', not {mode!r}")
    with atomic_path(path) as temporary:
        if mode == "wb":
            with open(temporary, "wb") as file:
                yield file
        else:
            with open(temporary, "w", encoding=encoding, newline=newline) as file:
                yield file
