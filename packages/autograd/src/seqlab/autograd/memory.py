"""Explicit, process-wide glibc allocator policies a program may opt into; importing seqlab
never sets one. Two, for two kinds of work:

- `retain_freed_memory`: keep freed large blocks for reuse (a training loop's activations);
  `seqlab train`, `seqlab demo` and the other training commands set it (`cli.threads`).
- `return_freed_memory`: map each block of 128 KiB or more on its own and unmap it when freed
  (a streamed pass over a corpus); `seqlab tokenize train` and `seqlab word2vec train` set it.

The commands own their process; a library user decides for theirs. Elsewhere than glibc
(musl, macOS) both do nothing and return False.
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
    m_trim_threshold, m_mmap_threshold = -1, -3
    # 32 MiB is glibc's largest mmap threshold; blocks above it are still mapped per allocation
    return _mallopt(m_mmap_threshold, 32 << 20) and _mallopt(m_trim_threshold, 1 << 30)


def return_freed_memory() -> bool:
    """Make glibc map every block of 128 KiB or more on its own and unmap it when freed (its
    initial policy, kept); False if not glibc.

    For a process that streams a corpus: each ~1 MiB piece of text, and what is cut from it, is
    freed before the next piece is read, but glibc's adaptive threshold (raised to the largest
    mapped block freed so far) moves such blocks onto the heap, where pieces of varying sizes
    fragment it and the resident set grows with the text read: iterating over the pieces of a
    120 MB file grew it from 45 to 113 MB, counting BPE pre-tokens of 1 GB peaked at 177 MB;
    with the threshold fixed the first stays at 47 MB and the counting flat. Costs a map, an
    unmap and the page faults of each large block (~0.1 ms a MiB), against ~100 ms to tokenize
    a MiB. Process-wide: for a corpus pass, not for a training loop's temporaries (see above).
    """
    m_mmap_threshold = -3
    # setting it at all turns the adaptation off; 128 KiB is glibc's default starting value
    return _mallopt(m_mmap_threshold, 128 << 10)


def _mallopt(parameter: int, value: int) -> bool:
    """glibc's mallopt(parameter, value); False where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    return bool(mallopt(parameter, value))
