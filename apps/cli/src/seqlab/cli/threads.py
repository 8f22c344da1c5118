"""--threads: how many threads BLAS (and so every GEMM in training) may use."""

from __future__ import annotations


def set_threads(threads: int | None) -> None:
    """Limit BLAS threads for the rest of the process (None: leave the default)."""
    if threads is None:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
