"""Clears stale Numba caches of every `*kernels*.py` in seqlab.nlp; each such module imports it.

Numba caches a kernel by its own file only, and the n-gram kernels call jitted helpers of other
kernel files (`arpa_read_kernels` uses `arpa_kernels.two_product` and `kernels.find_row`): an
edit to a helper alone would leave its callers' caches stale. Importing this module runs
`seqlab.autograd.kernel_caches.clear_stale_caches` over every kernel file of the package (one
digest, so a kernel may call a helper of any other kernel file here) before any kernel loads a
cache, and applies what a command asked for its process (`prepare_kernel_caches`). It
imports no kernels itself, so importing one kernel module loads only that one.
Jitted code of seqlab.nlp lives only in files named `*kernels*.py` (a test holds every file that
imports Numba to that and to importing this module).
"""

from __future__ import annotations

from pathlib import Path

from seqlab.autograd.kernel_caches import prepare_kernel_caches

KERNEL_PATTERN = "**/*kernels*.py"
PACKAGE_ROOT = Path(__file__).parent

# also Numba's runtime from cached object code (~18 MB less of LLVM resident from the first
# kernel on), locked cache saves and LLVM's clean pages released after each kernel loads
# (~49 MB), where a command asked
prepare_kernel_caches(PACKAGE_ROOT, pattern=KERNEL_PATTERN)
