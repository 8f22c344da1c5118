"""glibc's allocator seen through `mallinfo2`: whether a new large block is mapped on its own
(the mmap threshold at work). Shared by the library's tests of the allocator settings
(test_allocator_settings.py, beside it) and the CLI's
(tests/cli/test_allocator_policy_restored.py)."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def glibc() -> ctypes.CDLL:
    """The C library, set up to call `mallinfo2`, `malloc` and `free` (skips the test where
    it is not glibc 2.33 or later)."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallinfo2") or not hasattr(libc, "mallopt"):
        pytest.skip("not glibc 2.33 or later (no mallinfo2)")
    libc.mallinfo2.restype = _MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


def large_block_mapped() -> bool:
    """Whether glibc maps a new block of a few MiB on its own (it is over the mmap threshold)
    rather than growing the heap (under it). The block is larger than all the free memory in
    the heap, which glibc would otherwise hand out whatever the threshold."""
    libc = glibc()
    size = libc.mallinfo2().fordblks + (1 << 20)
    if size >= 31 << 20:  # the retaining threshold is 32 MiB: too much free to tell
        pytest.skip(f"{size >> 20} MiB free in the heap")
    before = libc.mallinfo2().hblks
    block = libc.malloc(size)
    try:
        return libc.mallinfo2().hblks > before
    finally:
        libc.free(block)
