"""The glibc allocator policy a command sets (`--threads`' trainers keep freed memory,
`tokenize train` returns it) holds for that command only: run in-process (tests, a library
user calling the app), the process leaves `main` with the thresholds it came in with, as
`--threads` is restored (stop 20, leftover 4)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_helpers import TINY
from inprocess import invoke

from seqlab.autograd import memory

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
# glibc's mallinfo2 probe, beside the library's own tests of these settings
from allocator_probe import large_block_mapped

_REAL_MALLOPT = memory._mallopt  # before conftest's autouse fixture stubs it for each test


@pytest.fixture
def returning(monkeypatch):
    """The process maps large blocks on their own (a known policy), and is left as it was."""
    monkeypatch.setattr(memory, "_mallopt", _REAL_MALLOPT)
    before = memory.allocator_settings()
    memory.return_freed_memory()
    yield memory.allocator_settings()
    memory.restore_allocator_settings(before)


def test_a_training_command_leaves_the_policy_it_found(tmp_path, corpus_file, returning):
    assert large_block_mapped()
    done = invoke("train", corpus_file, "--steps", "1", "--out", tmp_path / "m.safetensors",
                  *TINY)
    assert done.returncode == 0, done.stderr
    assert memory.allocator_settings() == returning
    assert large_block_mapped()


def test_a_command_that_fails_restores_it_too(tmp_path, returning):
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n")
    # --threads and the policy are set before the corpus is read and refused
    done = invoke("train", blank, "--steps", "1", "--out", tmp_path / "m.safetensors", *TINY)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert memory.allocator_settings() == returning
    assert large_block_mapped()


def test_a_nested_command_gives_the_outer_one_its_policy_back(tmp_path, corpus_file,
                                                             monkeypatch):
    """An in-process `main` inside another command (a library user's callback, a command
    that runs another) restores what was in force when it started, not what the outer
    command found: each `main` saves and restores its own settings (stop 20, fixR1)."""
    from seqlab.cli import allocator

    monkeypatch.setattr(memory, "_mallopt", lambda parameter, value: True)  # glibc untouched
    monkeypatch.setattr(memory, "_set", {})
    before = memory.allocator_settings()
    allocator.begin_command()  # as the outer `main` does
    try:
        allocator.give_back_freed_memory()
        outer = memory.allocator_settings()
        done = invoke("train", corpus_file, "--steps", "1", "--out", tmp_path / "m.safetensors",
                      *TINY)  # keeps freed memory while it trains
        assert done.returncode == 0, done.stderr
        assert memory.allocator_settings() == outer
    finally:
        allocator.restore_allocator()
    assert memory.allocator_settings() == before
