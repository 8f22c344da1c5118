"""An explicit, process-wide allocator policy a program may opt into (seqlab never sets it itself).

`seqlab train` and `seqlab demo` opt in: they own their process. A library user decides for theirs.
"""

import ctypes
import ctypes.util


def retain_freed_memory() -> bool:
    """Make glibc keep freed large blocks for reuse instead of unmapping them; False if not glibc.

    A training step allocates tens of MB of activations and frees them at the end; by default
    glibc returns blocks above its (adaptive) mmap threshold to the OS, so the next step
    page-faults them back in, which costs ~2.5 us per 4 KiB page on a VM (measured: 8 x 4 MB
    alloc + fill 20 ms, 0.9 ms with this). Process-wide and lasting: resident memory stays at
    its peak instead of shrinking between steps, for every allocation of the process.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    # 32 MiB is glibc's largest mmap threshold; blocks above it are still mapped per allocation
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 1 << 30))
