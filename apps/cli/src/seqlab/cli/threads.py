"""--threads: how many threads seqlab trains with (its own: time-loop teams, split GEMMs)."""

from __future__ import annotations


def set_threads(threads: int | None) -> None:
    """Train on `threads` threads for the rest of the process (None: every usable core)."""
    from seqlab.autograd import set_num_threads
    from seqlab.autograd.kernels.thread_team import usable_cores

    set_num_threads(threads or usable_cores())
