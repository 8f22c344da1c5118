"""Load word2vec's Numba kernels without SciPy: ~10 MB less resident in a training process.

Numba imports SciPy twice on its way to running a kernel: `import scipy` to check its version
when Numba is imported, and `scipy.linalg.cython_blas` when its NumPy registries load (the
first kernel call), to learn whether `np.dot` and `np.linalg` can be compiled. Both are inside
`try/except ImportError` in Numba. word2vec's kernels call neither, so a process that only
trains word2vec can keep SciPy out: SciPy is marked unimportable while Numba loads and
unmarked right after. The cost: in this process Numba cannot compile `np.dot` or `np.linalg`
(a later kernel using them fails to compile with "scipy 0.16+ is required for linear algebra").
That is why only `seqlab word2vec train`'s process does this, never the library on import.
"""

from __future__ import annotations

import sys

import numpy as np


def load_kernels_without_scipy() -> bool:
    """Import and load the word2vec kernels with SciPy kept out; True if SciPy was kept out.

    Does nothing special (returns False) when SciPy is already imported or Numba's NumPy
    registries have already loaded: then there is nothing to save.
    """
    blocked = "scipy" not in sys.modules and "numba.np.arraymath" not in sys.modules
    if blocked:
        sys.modules["scipy"] = None  # type: ignore[assignment]  # import scipy -> ImportError
    try:
        from seqlab.nlp.word2vec import kernels

        # the first call of any kernel loads Numba's registries (the BLAS check among them)
        kernels.make_cum_guide(np.ones(1, dtype=np.int64))
    finally:
        if blocked and "scipy" in sys.modules and sys.modules["scipy"] is None:
            del sys.modules["scipy"]
    return blocked
