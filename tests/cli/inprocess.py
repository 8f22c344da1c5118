"""Run the real `seqlab` entry point inside the test process (no 1-3 s interpreter start per
case), and the checks a bad-input case must pass."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def invoke(*args: str) -> Done:
    """`seqlab ARGS...` through `seqlab.cli.app.main`, as the console script runs it."""
    from seqlab.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGINT)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main([str(a) for a in args])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        signal.signal(signal.SIGINT, handler)
    return Done(code, out.getvalue(), err.getvalue())


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` (relative name -> digest)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def assert_one_line_failure(done: Done, *words: str, code: int | None = None) -> None:
    """Non-zero exit (`code` if given), exactly one stderr line, no traceback, no internal
    error, and each of `words` in it."""
    assert done.returncode != 0, (done.stdout, done.stderr)
    if code is not None:
        assert done.returncode == code, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    for word in words:
        assert word.lower() in done.stderr.lower(), done.stderr


@contextlib.contextmanager
def small_filesystem(folder: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder` (root only; the test is skipped elsewhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
