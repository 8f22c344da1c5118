"""Numba's start without SciPy's linear algebra: an explicit, process-wide policy a command opts
into (`SKIPPED_BLAS_PROBE.request()`); importing seqlab never sets it.

The first kernel a process calls (compiled or loaded from its cache) makes Numba load its CPU
target, which imports `numba.np.arraymath`; that module's body probes for a BLAS by importing
`scipy.linalg.cython_blas`, and so runs `scipy.linalg`'s package initialisation: ~220 modules
and ~26 MB resident (6 December: 57.1 MB after `import numpy, scipy.linalg.cython_blas` against
30.4 after `import numpy, scipy`), in every process whose kernels load, whether or not one of
them calls a BLAS. The probe's answer (`numba.np.arraymath._HAVE_BLAS`) is read in one place:
how `np.correlate` and `np.convolve` of floats take their inner products (through `np.dot`, or
a loop). `np.dot` and seqlab's GEMM kernels (`recurrent_blas`) check for BLAS themselves when
they compile (`ensure_blas`, which then imports SciPy's BLAS), and a cached kernel that calls one
imports it when first called (Numba's helper library does); seqlab's own BLAS thread control
imports it too (`threads`). So commands whose kernels never call a BLAS (word2vec, n-grams, BPE)
never load `scipy.linalg`, and the others load it when they first need it, as before.

`skip_blas_probe()` imports `numba.np.arraymath` while `scipy.linalg.cython_blas` is marked
missing (`sys.modules[name] = None`, which makes that one import fail without importing
anything), holding Numba's compiler lock so that no compile in another thread can meet the
mark, then removes the mark. The probe then answers "no BLAS": `np.correlate` / `np.convolve`
compiled in this process use the loop (same sums, in a different order: no seqlab kernel calls
either). A no-op once `numba.np.arraymath` is imported, where `scipy.linalg.cython_blas` is
loaded already, or under `NUMBA_DISABLE_JIT`.
"""

from __future__ import annotations

import sys

from seqlab.autograd.deferred_requests import DeferredRequest

PROBED_MODULE = "scipy.linalg.cython_blas"
PROBING_MODULE = "numba.np.arraymath"


def skip_blas_probe() -> bool:
    """Load Numba's array functions without its import-time BLAS probe (see the module docs).
    Returns True when this call skipped it."""
    if PROBING_MODULE in sys.modules or PROBED_MODULE in sys.modules:
        return False
    from numba.core import config

    if config.DISABLE_JIT:
        return False
    from numba.core.compiler_lock import global_compiler_lock

    with global_compiler_lock:
        if PROBING_MODULE in sys.modules or PROBED_MODULE in sys.modules:
            return False
        sys.modules[PROBED_MODULE] = None  # type: ignore[assignment]  # "missing": import fails
        try:
            import numba.np.arraymath  # noqa: F401
        finally:
            if PROBED_MODULE in sys.modules and sys.modules[PROBED_MODULE] is None:
                del sys.modules[PROBED_MODULE]
    return True


# what the `seqlab` commands ask for (`SKIPPED_BLAS_PROBE.request()`, importing nothing); the
# kernel packages' cache guards apply it once Numba is imported, before any kernel loads
SKIPPED_BLAS_PROBE = DeferredRequest(skip_blas_probe)
