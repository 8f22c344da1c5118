"""OMP_NUM_THREADS as seqlab reads it, and what is wrong with a value it cannot use (a light
module, no Numba: the CLI checks the variable before anything imports Numba)."""

from __future__ import annotations


class ThreadsEnvironmentWarning(UserWarning):
    """OMP_NUM_THREADS is set to no positive thread count: seqlab uses every usable core."""


def omp_threads(value: str | None) -> int | None:
    """The thread count OMP_NUM_THREADS `value` gives: its first value when a positive integer
    (OpenMP reads "4,2" as 4 at the outer level), else None (the default: every usable core)."""
    first = (value or "").split(",")[0].strip()
    return int(first) if first.isdigit() and int(first) > 0 else None


def omp_threads_problem(value: str | None) -> str | None:
    """One line saying what is wrong with `value` as OMP_NUM_THREADS and what to set; None when
    it gives a count (`omp_threads`) or is unset or empty (which mean the default)."""
    if value is None or not value.strip() or omp_threads(value) is not None:
        return None
    return (f"OMP_NUM_THREADS={value} is not a positive number of threads; seqlab computes "
            "with every usable core: set it to a positive whole number, or unset it")
