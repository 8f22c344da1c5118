"""SIGHUP after the terminal closed (an ssh session gone): writes to the terminal fail with
EIO, yet the run still saves, tidies its numbered checkpoints and exits 129. The run is a real
`seqlab` process on a pseudo-terminal whose master end is closed before the signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from cli_helpers import CORPUS, TINY

pty = pytest.importorskip("pty")  # POSIX only, as SIGHUP


def test_sighup_after_the_terminal_closed_saves_and_exits_129(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS * 20, encoding="utf-8")
    out = tmp_path / "m.safetensors"
    master, replica = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; from seqlab.cli.app import main; main(sys.argv[1:])",
         "train", str(corpus), "--steps", "100000", "--out", str(out),
         "--checkpoint-every", "2",
         *(a for a in TINY if a != "--quiet")],  # the progress display is live
        stdin=replica, stdout=replica, stderr=replica, start_new_session=True)
    os.close(replica)
    try:  # a failure anywhere below must not leave a 100000-step run behind
        seen, deadline = b"", time.monotonic() + 120
        try:
            while b"training" not in seen and time.monotonic() < deadline:  # the bar is live
                seen += os.read(master, 4096)
        except OSError:
            pass
        while not _numbered(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        os.close(master)  # the terminal goes away ...
        child.send_signal(signal.SIGHUP)  # ... and the kernel sends SIGHUP
        code = child.wait(timeout=120)
        assert b"training" in seen, seen[-400:]
        assert code == 128 + signal.SIGHUP
        assert out.exists()
        assert not _numbered(tmp_path)  # the numbered checkpoints, superseded by --out, tidied
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _numbered(folder):
    return [path for path in (folder / "m.checkpoints").glob("*.safetensors")
            if path.name != "best.safetensors"]
