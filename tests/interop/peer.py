"""Run code in the peer environment (PyTorch, KenLM) named by SEQLAB_PEER_PYTHON."""

from __future__ import annotations

import os
import subprocess

import pytest


def peer_python() -> str:
    """The peer interpreter, or skip the test with the reason."""
    python = os.environ.get("SEQLAB_PEER_PYTHON")
    if not python:
        pytest.skip("SEQLAB_PEER_PYTHON is not set (a Python with torch/kenlm; see DEVELOPERS.md)")
    return python


def run_peer(script: str, *args: str, module: str) -> str:
    """Run `script` with the peer Python; skip when it lacks `module`."""
    python = peer_python()
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"the peer Python {python} cannot import {module}")
    done = subprocess.run([python, "-c", script, *args], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout
