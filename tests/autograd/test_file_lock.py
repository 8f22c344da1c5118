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
    assert lock_path("m.safetensors") == tmp_path.resolve() / ".m.safetensors.lock"
    assert lock_path(tmp_path / "m.safetensors") == lock_path("./m.safetensors")


def test_a_second_process_is_refused_and_told_who_holds_it(tmp_path):
    path = lock_path(tmp_path / "m.safetensors")
    first = _holder(path, "the first run")
    try:
        _held(first)
        with pytest.raises(LockHeldError) as refused:
            FileLock(path, wait=False).acquire()
        assert refused.value.holder == "the first run"
        assert path.read_text() == "the first run\n"
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
    assert path.read_text() == "killed\n"  # left behind, unlocked by the kernel
    with FileLock(path, wait=False, holder="next") as lock:
        assert lock.held and path.read_text() == "next\n"
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
        assert not lock.held and "cannot lock" in lock.reason
    assert not any(tmp_path.iterdir())  # no lock file left behind


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
    assert refused.value.holder == "newcomer" and len(opened) == 2
    monkeypatch.undo()
    newcomer.release()
