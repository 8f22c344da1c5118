"""LLVM's clean pages given back between compiles: an explicit, process-wide policy a command
opts into (`RELEASED_LLVM_PAGES.request()`); importing seqlab never sets it.

Numba runs LLVM only while it compiles a kernel or loads one from its cache; a kernel's calls
run its machine code and never enter LLVM. Yet every page of `libllvmlite.so` touched once
stays in the process's resident set: ~37 MB by LLVM's static initialisers at `import numba`,
~14 MB more when the first cached kernel is linked, ~20 MB more for a compile. Those pages are
clean copies of the file (never written: the library's text and read-only data), so dropping
them from the process loses nothing: the next compile faults back what it uses, from the page
cache, as minor faults. `release_llvm_pages` drops them (`madvise(MADV_DONTNEED)` on each
read-only mapping of `libllvmlite.so` itself that holds no private-dirty, anonymous or swapped
page: a page the process wrote, such as the relocated read-only data (RELRO), makes a mapping
ineligible, as dropping it would lose the write). `release_after_compiles` does so now and
after every outermost hold of Numba's compiler lock (its public event API), i.e. after each
kernel is compiled or loaded, if the process's file pages grew by 1 MiB since.

Why it is safe:
- A release runs only while its thread holds Numba's compiler lock (taken without waiting;
  when another thread holds it, that thread is inside LLVM and releases itself when its hold
  ends), so no Numba compile or cache load runs during it. Even one that did would only fault
  the dropped pages back: a clean file page dropped is what the kernel's page reclaim does to
  any process at any time.
- A read-only mapping's page becomes private only by a write after `mprotect` (which changes
  the mapping's line in `/proc/self/maps`: its pages are checked again) or by a tracer
  (`ptrace`'s breakpoints): nothing is released while `TracerPid` is set, and a debugger that
  detached restored the bytes it wrote, so dropping its private copy loses nothing. A uprobe
  placed on LLVM after a release is dropped by the next one (set `SEQLAB_KEEP_LLVM_PAGES=1`
  when probing LLVM).
- `SEQLAB_KEEP_LLVM_PAGES=1` turns the policy off (nothing released, no listener).

What it changes is the process's resident set, not what the machine holds: the pages stay
in the page cache (shared with every other process mapping the library) until the kernel
reclaims them, as it may any clean file page no process maps. Only Linux has
`/proc/self/smaps`; elsewhere every function does nothing and returns 0 / False.
"""

from __future__ import annotations

import ctypes
import os
import sys

from seqlab.autograd.deferred_requests import DeferredRequest

LIBRARY_NAME = "libllvmlite.so"
KEEP_VARIABLE = "SEQLAB_KEEP_LLVM_PAGES"  # "1": release nothing (debugging, probing LLVM)
MADV_DONTNEED = 4  # Linux's value on every architecture Numba supports
SMAPS = "/proc/self/smaps"
MAPS = "/proc/self/maps"
STATM = "/proc/self/statm"
STATUS = "/proc/self/status"
_GROWTH_PAGES = 256  # release again once the shared resident pages grew by 1 MiB (4 KiB pages)
_PRIVATE_FIELDS = ("Private_Dirty:", "Anonymous:", "Swap:")

_listener = None
_checked: tuple[tuple[str, ...], list[tuple[int, int]]] | None = None  # lines, clean ranges
_shared_after_release = 0


def release_after_compiles() -> bool:
    """Release LLVM's clean pages now and after each kernel compile or cache load of this
    process; False where nothing will be released (not Linux, `SEQLAB_KEEP_LLVM_PAGES=1`).
    Idempotent."""
    global _listener
    if not sys.platform.startswith("linux") or kept_by_environment():
        return False
    _release_holding_compiler_lock(only_if_grown=False)
    if _listener is None:
        from numba.core import event

        _listener = _listener_class()()
        event.register("numba:compiler_lock", _listener)
    return True


def kept_by_environment() -> bool:
    """True where `SEQLAB_KEEP_LLVM_PAGES` asks that nothing be released."""
    return os.environ.get(KEEP_VARIABLE, "").strip() not in ("", "0")


def release_llvm_pages(smaps: str = SMAPS, maps: str = MAPS, status: str = STATUS) -> int:
    """Drop this process's resident pages of `libllvmlite.so` that are clean copies of the
    file; returns how many mappings were released (0 where none, not Linux, or traced).
    The caller makes sure no thread compiles meanwhile (`release_after_compiles` holds
    Numba's compiler lock); a compile that did would fault the pages back, nothing worse.

    Which mappings are clean is read from `smaps` (which walks every mapping's pages: ~7 ms)
    the first time and whenever the library's lines of `maps` (~0.5 ms) change; a page can
    only become private through a write, and a read-only mapping is written only after its
    protection changes, which changes its line, or by a tracer, during which nothing is
    released."""
    global _shared_after_release, _checked
    if not sys.platform.startswith("linux"):
        return 0
    try:
        if _traced(status):
            return 0
        layout = _library_lines(maps)
        if _checked is None or _checked[0] != layout:
            _checked = (layout, [(start, end) for start, end, _ in
                                 _clean_library_mappings(smaps)])
    except (OSError, ValueError, IndexError):  # no readable /proc (a restricted one)
        return 0
    released = sum(_madvise(start, end - start, MADV_DONTNEED) for start, end in _checked[1])
    _shared_after_release = _shared_pages()
    return released


def _traced(status: str) -> bool:
    """True while a debugger (ptrace) is attached: its breakpoints are private pages that the
    cached layout would not show (raises OSError where `status` is unreadable)."""
    with open(status) as lines:
        for line in lines:
            if line.startswith("TracerPid:"):
                return int(line.split()[1]) != 0
    raise ValueError("no TracerPid line")


def _is_library(path_field: str) -> bool:
    return path_field.rsplit("/", 1)[-1] == LIBRARY_NAME


def _library_lines(maps: str) -> tuple[str, ...]:
    """The library's mappings as `maps` lists them (address range, permissions, offset)."""
    with open(maps) as lines:
        return tuple(" ".join(line.split()[:3]) for line in lines
                     if _is_library(line.rstrip()))


def _clean_library_mappings(smaps: str) -> list[tuple[int, int, int]]:
    """(start, end, resident KiB) of each read-only mapping of the library with no private,
    anonymous or swapped page."""
    mappings: list[list[int]] = []
    current: list[int] | None = None
    with open(smaps) as lines:
        for line in lines:
            field = line.split(None, 1)[0]
            if not field.endswith(":"):  # a header: "start-end perms offset dev inode path"
                parts = line.split(None, 5)
                current = None
                path = parts[5].rstrip("\n") if len(parts) >= 6 else ""
                if _is_library(path) and "w" not in parts[1]:
                    start, end = (int(bound, 16) for bound in parts[0].split("-"))
                    current = [start, end, 0, 0]  # + resident KiB, private/anonymous/swap KiB
                    mappings.append(current)
            elif current is not None and field == "Rss:":
                current[2] = int(line.split()[1])
            elif current is not None and field in _PRIVATE_FIELDS:
                current[3] += int(line.split()[1])
    return [(start, end, resident) for start, end, resident, private in mappings
            if private == 0]


def _shared_pages() -> int:
    """The process's resident file-backed pages (statm's third field)."""
    try:
        with open(STATM) as statm:
            return int(statm.read().split()[2])
    except (OSError, IndexError, ValueError):
        return 0


_libc_madvise = None


def _madvise(start: int, length: int, advice: int) -> bool:
    global _libc_madvise
    if _libc_madvise is None:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        madvise.restype = ctypes.c_int
        _libc_madvise = madvise
    return _libc_madvise(start, length, advice) == 0


def _release_holding_compiler_lock(only_if_grown: bool) -> int:
    """`release_llvm_pages()` while holding Numba's compiler lock, taken without waiting:
    where another thread holds it, that thread is compiling and releases when it ends (0)."""
    from numba.core.compiler_lock import global_compiler_lock

    lock = getattr(global_compiler_lock, "_lock", None)  # the RLock behind its events
    if lock is None or not lock.acquire(blocking=False):
        return 0
    try:
        if only_if_grown and _shared_pages() - _shared_after_release < _GROWTH_PAGES:
            return 0
        return release_llvm_pages()
    finally:
        lock.release()


def _listener_class():
    """Numba's `Listener` subclass, defined once Numba is imported."""
    from numba.core import event
    from numba.core.compiler_lock import global_compiler_lock

    class ReleaseAfterCompilerLock(event.Listener):
        """Releases LLVM's clean pages when this thread's outermost hold of Numba's compiler
        lock ends (a kernel compiled or loaded from its cache), if file pages grew since."""

        def on_start(self, event) -> None:
            pass

        def on_end(self, event) -> None:
            if not global_compiler_lock.is_locked():
                _release_holding_compiler_lock(only_if_grown=True)

    return ReleaseAfterCompilerLock


# what the `seqlab` commands ask for (`RELEASED_LLVM_PAGES.request()`, importing nothing);
# the kernel packages' cache guards apply it once Numba is imported, before any kernel loads
RELEASED_LLVM_PAGES = DeferredRequest(release_after_compiles)
