"""Numba compiles kernels once (cache=True); the first run says so instead of pausing silently.

The status follows Numba's own cache misses, not a guess at where the cache files lie:
NUMBA_CACHE_DIR, the user-wide cache of a read-only install and a stale index all make Numba
compile, and each is announced."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from seqlab.cli.console import Output, styled


def cache_misses() -> int:
    """How many kernel compilations (Numba cache misses) this process has made so far, over
    every loaded seqlab module's jitted functions (0 under NUMBA_DISABLE_JIT)."""
    from numba.core.dispatcher import Dispatcher

    total = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("seqlab.") or module is None:
            continue
        for value in list(vars(module).values()):
            stats = getattr(value, "stats", None) if isinstance(value, Dispatcher) else None
            if stats is not None:
                total += sum(stats.cache_misses.values())
    return total


def compile_while_showing(output: Output, warm_up: Callable[[], None],
                          poll_seconds: float = 0.2) -> None:
    """Run `warm_up` (which calls kernels once); when it turns out to compile any (a cache
    miss, whichever module the kernel lives in), show the status line until it ends."""
    if not output.show_progress:
        warm_up()
        return
    from seqlab.cli import compile_note

    compile_note.already_noted()  # this status tells of the compilation instead
    before = cache_misses()
    from seqlab.cli.console import stderr

    status = stderr.status("Compiling Numba kernels (first run only, cached afterwards)...")
    done = threading.Event()
    shown = threading.Event()

    def watch() -> None:
        while not done.wait(poll_seconds):
            if cache_misses() > before:
                status.start()
                shown.set()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        warm_up()
    finally:
        done.set()
        watcher.join()
        if shown.is_set():
            status.stop()
    if cache_misses() > before:
        output.info(styled(("Kernels compiled and cached.", "dim")))
