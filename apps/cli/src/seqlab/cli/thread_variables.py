"""The environment's thread counts, checked as a command starts (qaA s24 finding 4).

NUMBA_NUM_THREADS is read by Numba when first imported: 0 or a negative count stops it from
starting ("Number of threads specified must be > 0"), so the command is refused in one line
(exit 2) before any work; a value that is no integer (abc) Numba replaces by its default with a
warning that carries a traceback block, so the command says it in one line and removes the
variable from its own environment first (Numba, not yet imported, then uses its default
quietly, as it would have). OMP_NUM_THREADS that is no positive count (0, -1, abc) makes
seqlab compute with every usable core: one warning line, in place of the library's
`ThreadsEnvironmentWarning` (ignored in the command's process), as PyTorch warns."""

from __future__ import annotations

import os
import sys
import warnings

from seqlab.cli.errors import EXIT_USAGE, CliError

_NUMBA = "NUMBA_NUM_THREADS"


def check_thread_variables() -> None:
    """Refuse (CliError) a NUMBA_NUM_THREADS Numba cannot start with; warn in one line each
    about thread variables that fall back to a default."""
    from seqlab.cli.console import message

    value = os.environ.get(_NUMBA)
    if value is not None and value.strip():
        try:
            count = int(value)
        except ValueError:
            message(("warning:", "yellow"),
                    f"{_NUMBA}={value} is not a whole number of threads; Numba uses its "
                    "default (every core): set it to a positive whole number, or unset it")
            if "numba" not in sys.modules:
                del os.environ[_NUMBA]  # else Numba repeats it with a traceback block
        else:
            if count < 1:
                raise CliError(f"{_NUMBA}={value}: Numba needs a positive number of threads; "
                               f"set it to one (e.g. {_NUMBA}={os.cpu_count() or 1}), or "
                               "unset it", code=EXIT_USAGE)
    _check_omp()


def _check_omp() -> None:
    from seqlab.autograd.thread_variables import ThreadsEnvironmentWarning, omp_threads_problem
    from seqlab.cli.console import message

    # said here, in the command's words; the library's warning would repeat it
    warnings.filterwarnings("ignore", category=ThreadsEnvironmentWarning)
    problem = omp_threads_problem(os.environ.get("OMP_NUM_THREADS"))
    if problem is not None:
        message(("warning:", "yellow"), problem)
