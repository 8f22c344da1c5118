"""Run one time loop as a team of nogil kernels, one per thread, split by hidden unit.

Each part multiplies the previous state by its own units' rows of W_hh and applies the gate
math to those units only, so per step the parts share nothing but the state, which they meet
over at a spinning barrier (`spin_barrier`). Part 0 runs in the calling thread, the others in
a process-wide pool of worker threads.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
from collections.abc import Callable

import numba

from .spin_barrier import new_flags
from .unit_blocks import max_parts

# the fewest hidden units per part worth a thread: below it the barrier and the thinner GEMMs
# cost more than the second core gives
MIN_UNITS_PER_PART = 32


def team_size(threads: int, hidden: int) -> int:
    """How many parts a loop over `hidden` units runs as, given `threads` threads to use."""
    if numba.config.DISABLE_JIT:
        return 1  # plain-Python parts would spin on the GIL
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(threads, cores or 1, hidden // MIN_UNITS_PER_PART, max_parts(hidden)))


@functools.cache
def _pool() -> concurrent.futures.ThreadPoolExecutor:
    workers = max(1, (os.cpu_count() or 2) - 1)
    return concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="seqlab-loop")


def run_team(parts: int, run_part: Callable[[int, int, object], None]) -> None:
    """Call run_part(part, parts, flags) for every part at once; part 0 in this thread."""
    flags = new_flags(parts)
    if parts == 1:
        run_part(0, 1, flags)
        return
    others = [_pool().submit(run_part, part, parts, flags) for part in range(1, parts)]
    run_part(0, parts, flags)
    for other in others:
        other.result()
