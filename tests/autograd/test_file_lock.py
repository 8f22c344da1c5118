"""`FileLock` between processes (subprocesses, not threads): one holder at a time, the holder
named to the refused, a killed holder's lock file blocking nobody, a waiter never holding a
lock file its holder deleted, and going on unlocked where no lock can be taken."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from seqlab.autograd import file_lock
from seqlab.autograd.atomic import atomic_write
from seqlab.autograd.file_lock import FileLock, LockHeldError, lock_path

HOLD = textwrap.dedent("""
    import sys
    from seqlab.autograd.file_lock import FileLock
    lock = FileLock(sys.argv[1], wait=sys.argv[2] == "wait", holder=sys.argv[3])
    lock.acquire()
    print("held" if lock.held else "unlocked", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
    lock.release()
""")


def _holder(path: Path, note: str, wait: bool = False) -> subprocess.Popen:
    """A process that takes the lock at `path`, prints "held" and keeps it until stdin ends."""
    return subprocess.Popen([sys.executable, "-c", HOLD, str(path), "wait" if wait else "now",
                             note], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _held(process: subprocess.Popen) -> None:
    assert process.stdout.readline().strip() == "held"


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.stdin.close()
        process.wait(timeout=60)


def test_lock_path_is_a_hidden_file_beside_the_target(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert lock_path("m.safetensors") == tmp_path.resolve() / ".m.safetensors.seqlab-lock"
    assert lock_path(tmp_path / "m.safetensors") == lock_path("./m.safetensors")


def test_a_second_process_is_refused_and_told_who_holds_it(tmp_path):
    path = lock_path(tmp_path / "m.safetensors")
    first = _holder(path, "the first run")
    try:
        _held(first)
        with pytest.raises(LockHeldError) as refused:
            FileLock(path, wait=False).acquire()
        assert refused.value.holder == "the first run"
        assert path.read_text() == f"{file_lock.MARK}\nthe first run\n"
    finally:
        _end(first)
    assert not path.exists()  # the holder deleted it on release
    with FileLock(path, wait=False) as lock:
        assert lock.held


def test_a_killed_holder_leaves_a_lock_file_that_blocks_nobody(tmp_path):
    path = lock_path(tmp_path / "vectors.txt")
    first = _holder(path, "killed")
    _held(first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert path.read_text() == f"{file_lock.MARK}\nkilled\n"  # left, unlocked by the kernel
    with FileLock(path, wait=False, holder="next") as lock:
        assert lock.held and path.read_text() == f"{file_lock.MARK}\nnext\n"
    assert not path.exists()


def test_a_waiter_takes_the_lock_after_the_holder_and_never_holds_a_deleted_file(tmp_path):
    path = lock_path(tmp_path / "cache")
    first = _holder(path, "first")
    _held(first)
    second = _holder(path, "second", wait=True)  # blocks on the first's lock file
    try:
        time.sleep(0.5)
        assert second.poll() is None
        _end(first)  # deletes its lock file and releases: the waiter must lock a new one
        _held(second)
        with pytest.raises(LockHeldError) as refused:
            FileLock(path, wait=False).acquire()
        assert refused.value.holder == "second"
        assert os.stat(path).st_size > 0
    finally:
        _end(second)
        _end(first)


def test_a_folder_that_cannot_be_written_is_used_unlocked(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(args[0]))

    monkeypatch.setattr(file_lock.os, "open", read_only)
    with FileLock(tmp_path / ".x.lock") as lock:
        assert not lock.held and "Read-only" in lock.reason


def test_a_file_system_without_locks_is_used_unlocked(tmp_path, monkeypatch):
    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with FileLock(tmp_path / ".x.lock", wait=False) as lock:
        assert not lock.held and "cannot lock" in lock.reason and not lock.foreign
    # the empty file is left: it may be another process's lock (`test_a_run_that_cannot_...`)
    assert (tmp_path / ".x.lock").read_bytes() == b""
    with FileLock(tmp_path / ".x.lock", wait=False) as lock:
        assert not lock.held and "cannot lock" in lock.reason


def test_a_run_that_cannot_lock_leaves_the_holders_lock_file_alone(tmp_path, monkeypatch):
    """A flock failing with ENOLCK (a busy NFS lockd) while another process holds the lock:
    the run goes on unlocked, and the holder's lock file stays, so a third run is refused."""
    path = lock_path(tmp_path / "m.arpa")
    first = _holder(path, "the first run")
    try:
        _held(first)

        def busy(fd, operation):
            raise OSError(errno.ENOLCK, "No locks available")

        monkeypatch.setattr(fcntl, "flock", busy)
        second = FileLock(path, wait=False).acquire()
        assert not second.held and "cannot lock" in second.reason
        monkeypatch.undo()
        assert path.read_text() == f"{file_lock.MARK}\nthe first run\n"
        with pytest.raises(LockHeldError) as refused:
            FileLock(path, wait=False).acquire()
        assert refused.value.holder == "the first run"
    finally:
        _end(first)


def test_a_users_files_beside_the_target_are_never_touched(tmp_path):
    """The lock file's name cannot be a user's (`.NAME.seqlab-lock`); a file there that seqlab
    did not write (not empty, no seqlab mark) or a link there is left as it is and the run goes
    on unlocked (`foreign`)."""
    own = tmp_path / ".m.arpa.lock"
    own.write_text("my own notes\n")
    with FileLock(lock_path(tmp_path / "m.arpa"), wait=False) as lock:
        assert lock.held
    assert own.read_text() == "my own notes\n"
    assert not lock_path(tmp_path / "m.arpa").exists()
    path = lock_path(tmp_path / "m.arpa")
    path.write_text("my own notes\n")
    with FileLock(path, wait=False) as lock:
        assert not lock.held and lock.foreign and "not a seqlab lock file" in lock.reason
    assert path.read_text() == "my own notes\n"
    path.unlink()
    target = tmp_path / "notes.txt"
    target.write_text("kept\n")
    path.symlink_to(target)
    with FileLock(path, wait=False) as lock:
        assert not lock.held and lock.foreign
    assert path.is_symlink() and target.read_text() == "kept\n"


def test_release_leaves_a_file_that_replaced_the_lock_file(tmp_path):
    path = tmp_path / ".m.seqlab-lock"
    lock = FileLock(path, wait=False).acquire()
    path.unlink()
    path.write_text("someone else's\n")  # (a user's file put there while the run held it)
    lock.release()
    assert path.read_text() == "someone else's\n"


def test_an_interrupted_wait_closes_its_file(tmp_path, monkeypatch):
    """Ctrl-C while blocked in flock (a cache's waiter) leaves no descriptor open."""
    def interrupted(fd, operation):
        raise KeyboardInterrupt

    before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(fcntl, "flock", interrupted)
    with pytest.raises(KeyboardInterrupt):
        FileLock(tmp_path / ".x.seqlab-lock").acquire()
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_lock_file_takes_its_mode_from_the_umask(tmp_path):
    """0666 less the umask: a group sharing a folder (umask 002) shares its lock files, so
    their runs lock each other out rather than go on unlocked."""
    before = os.umask(0o002)
    try:
        with FileLock(tmp_path / ".x.seqlab-lock", wait=False):
            assert (tmp_path / ".x.seqlab-lock").stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(before)


def test_a_lock_file_that_cannot_be_opened_is_named_foreign(tmp_path, monkeypatch):
    """Another user's lock file (0644 under umask 022) cannot be opened for writing: the run
    goes on unlocked with `foreign` set (the CLI says so in one line)."""
    path = tmp_path / ".x.seqlab-lock"
    path.write_text("")
    real_open = os.open

    def not_ours(name, flags, mode=0o777):
        if Path(name) == path and not flags & os.O_CREAT:
            raise OSError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, flags, mode)

    monkeypatch.setattr(file_lock.os, "open", not_ours)
    with FileLock(path, wait=False) as lock:
        assert not lock.held and lock.foreign and "Permission denied" in lock.reason
    monkeypatch.undo()
    assert path.exists()


def test_a_waiter_on_a_deleted_lock_file_does_not_hold_it_beside_a_newcomer(tmp_path,
                                                                            monkeypatch):
    """tox-dev/filelock#574, forced step by step: the waiter opened the holder's file before
    the holder deleted it; a newcomer then locks a new file at the path; the waiter's flock on
    the old, deleted file succeeds, and it must see that and queue behind the newcomer."""
    path = tmp_path / ".m.lock"
    holder = FileLock(path, wait=False).acquire()
    stale = os.open(path, os.O_RDWR)  # the waiter's open, before the holder lets go
    holder.release()  # deletes the file, drops the lock
    newcomer = FileLock(path, wait=False, holder="newcomer").acquire()
    real_open = os.open
    opened = []

    def waiter_open(name, flags, mode=0o777):
        opened.append(name)
        return stale if len(opened) == 1 else real_open(name, flags, mode)

    monkeypatch.setattr(file_lock.os, "open", waiter_open)
    with pytest.raises(LockHeldError) as refused:
        FileLock(path, wait=False).acquire()
    assert refused.value.holder == "newcomer" and len(opened) == 3  # (create, then open)
    monkeypatch.undo()
    newcomer.release()


def test_two_hard_links_are_two_outputs_with_two_locks(tmp_path):
    """A lock is keyed by its output's name, not by the file there (`cli.output_locks`): a
    write renames a new file over its name, so writing one hard link leaves the other's file
    as it was, and runs on the two names need not wait for each other."""
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("before\n")
    os.link(first, second)
    assert lock_path(first) != lock_path(second)
    with FileLock(lock_path(first), wait=False) as one, \
            FileLock(lock_path(second), wait=False) as other:
        assert one.held and other.held
        with atomic_write(first) as file:
            file.write("after\n")
        assert (first.read_text(), second.read_text()) == ("after\n", "before\n")
        assert not os.path.samefile(first, second)
