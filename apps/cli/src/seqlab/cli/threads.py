"""--threads: how many threads seqlab trains with (its own: time-loop teams, split GEMMs)."""

from __future__ import annotations


def set_threads(threads: int | None) -> None:
    """Train on `threads` threads (None: as seqlab's default, OMP_NUM_THREADS or every usable
    core), and keep freed activation memory for the next step (the CLI owns its process)."""
    from seqlab.autograd import set_num_threads
    from seqlab.autograd.memory import retain_freed_memory

    if threads is not None:
        set_num_threads(threads)
    retain_freed_memory()


THREADS_HELP = "Threads to compute with (default: all cores)."


def use_threads(threads: int | None) -> None:
    """Compute on `threads` threads when given (None: seqlab's default), as `set_threads` does
    for the trainers, leaving the allocator's policy alone (a prediction run streams its input
    and returns what it frees)."""
    if threads is not None:
        from seqlab.autograd import set_num_threads

        set_num_threads(threads)
