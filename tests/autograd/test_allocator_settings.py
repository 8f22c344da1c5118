"""`seqlab.autograd.memory` remembers the glibc thresholds it set, and puts them back:
`restore_allocator_settings` gives back what `allocator_settings` read before a change (the
numbers glibc starts with where seqlab had set none). Checked on glibc itself through
`mallinfo2`: whether a new large block is mapped on its own is the mmap threshold at work."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from seqlab.autograd import memory

sys.path.insert(0, str(Path(__file__).parent))  # the glibc probe beside these tests
from allocator_probe import glibc, large_block_mapped


@pytest.fixture
def settings_kept():
    """Whatever a test sets, the process goes back to the settings from before it."""
    before = memory.allocator_settings()
    yield before
    memory.restore_allocator_settings(before)


def test_retain_then_restore_maps_large_blocks_again(settings_kept):
    glibc()
    memory.return_freed_memory()
    assert large_block_mapped()
    saved = memory.allocator_settings()
    assert memory.retain_freed_memory()
    assert memory.allocator_settings() == (32 << 20, 1 << 30)
    assert not large_block_mapped()
    assert memory.restore_allocator_settings(saved)
    assert memory.allocator_settings() == saved
    assert large_block_mapped()


def test_settings_never_set_go_back_to_glibcs_start_values(settings_kept, monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_mallopt", lambda *call: calls.append(call) or True)
    monkeypatch.setattr(memory, "_set", {})
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    before = memory.allocator_settings()
    assert before == (None, None)
    memory.retain_freed_memory()
    calls.clear()
    assert memory.restore_allocator_settings(before)
    assert sorted(calls) == [(memory.M_MMAP_THRESHOLD, 128 << 10),
                             (memory.M_TRIM_THRESHOLD, 65536)]
    assert memory.allocator_settings() == (None, None)


def test_glibc_tunables_give_the_start_values(monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES",
                       "glibc.malloc.check=0:glibc.malloc.mmap_threshold=0x40000")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1000")  # the tunable wins, as in glibc
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert memory.start_value(memory.M_MMAP_THRESHOLD) == 0x40000
    assert memory.start_value(memory.M_TRIM_THRESHOLD) == 128 << 10


def test_restoring_what_was_never_changed_does_nothing(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_mallopt", lambda *call: calls.append(call) or True)
    monkeypatch.setattr(memory, "_set", {})
    assert memory.restore_allocator_settings((None, None))
    assert calls == []


@pytest.mark.parametrize(("text", "value"), [
    ("010", 8), ("0x10", 16), ("0X1f", 31), ("0", 0), ("4096", 4096), ("+12", 12)])
def test_tunable_numbers_are_read_as_glibc_reads_them(monkeypatch, text, value):
    # glibc's _dl_strtoul: a leading 0 is octal, 0x hex (as C's strtoul with base 0)
    monkeypatch.setenv("GLIBC_TUNABLES", f"glibc.malloc.mmap_threshold={text}")
    assert memory.start_value(memory.M_MMAP_THRESHOLD) == value


@pytest.mark.parametrize("text", ["0o10", "0b10", "1_000", "08", "12k", "", "0x", "-5"])
def test_numbers_glibc_would_not_take_leave_its_default(monkeypatch, text):
    # the whole value must parse (glibc ignores a tunable with anything left over)
    monkeypatch.setenv("GLIBC_TUNABLES", f"glibc.malloc.mmap_threshold={text}")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "070")
    assert memory.start_value(memory.M_MMAP_THRESHOLD) == 0o70
