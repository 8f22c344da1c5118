"""Process-wide changes a `seqlab` command asks for at its start and the kernel packages make
just before their first kernel loads (`DeferredRequest`).

Some of what makes a command fast or safe replaces a piece of Numba for the whole process
(Numba's runtime from cached object code, `runtime_cache`; one process at a time saving a cache
entry, `kernel_cache_lock`; LLVM's clean pages given back after each kernel loads,
`llvm_pages`). Importing seqlab must never do that, and a command that loads no
kernel must not import Numba to do it: so the command only asks (`request`, which imports
nothing), and the kernel packages' cache guards apply what was asked
(`kernel_caches.prepare_kernel_caches` calls `apply_if_requested`) before any kernel loads.
`requested_changes` lists what this process asked for, so that a command's Dask workers can be
given the same (`request_change` there; `seqlab.nlp.ngram.worker_setup`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_ALL: list[DeferredRequest] = []  # every request defined, in the order their modules load


class DeferredRequest:
    """A change to the whole process, asked for by `request()` and made by
    `apply_if_requested()` (`apply`: a module-level function, so that it pickles by name)."""

    def __init__(self, apply: Callable[[], object]) -> None:
        self.apply = apply
        self.requested = False
        _ALL.append(self)

    def request(self) -> None:
        """Ask for the change (imports nothing; made by `apply_if_requested`)."""
        self.requested = True

    def apply_if_requested(self) -> None:
        """Make the change if it was asked for (each `apply` may be called again: a no-op)."""
        if self.requested:
            self.apply()


def requested_changes() -> list[Callable[[], object]]:
    """The `apply` functions of the requests this process has made, in definition order."""
    return [request.apply for request in _ALL if request.requested]


def request_change(apply: Callable[[], object]) -> None:
    """Request here the change `apply` makes (one of another process's `requested_changes()`:
    a command's Dask worker is given its command's). Made now where Numba is loaded already
    (nothing to import; a worker whose kernels loaded for an earlier run would not make it
    otherwise), else when the first kernel loads, as in the command: a worker that starts
    (or restarts after a crash) imports no Numba before its first kernel needs it."""
    for request in _ALL:
        if request.apply is apply:
            request.request()
            if "numba" in sys.modules:
                request.apply_if_requested()
