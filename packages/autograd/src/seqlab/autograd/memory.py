"""Explicit, process-wide glibc allocator policies a program may opt into; importing seqlab
never sets one. Two, for two kinds of work:

- `retain_freed_memory`: keep freed large blocks for reuse (a training loop's activations);
  `seqlab train`, `seqlab demo` and the other training commands set it (`cli.threads`).
- `return_freed_memory`: map each block of 128 KiB or more on its own and unmap it when freed
  (a streamed pass over a corpus); `seqlab tokenize train` and `seqlab word2vec train` set it.

The commands own their process; a library user decides for theirs. Elsewhere than glibc
(musl, macOS) both do nothing and return False.

Putting a policy back: glibc has no call that reads its thresholds, so this module remembers
the ones it set (`allocator_settings`), and `restore_allocator_settings` sets them again, or,
for one seqlab had never set, the number glibc started with (128 KiB, or what
`GLIBC_TUNABLES` / `MALLOC_*_THRESHOLD_` gave it). One thing cannot be put back: until the
first `mallopt` of a threshold glibc raises both as large blocks are freed (its dynamic
threshold), and no call turns that on again; the restored numbers stay as set. The CLI restores
a command's changes when it ends (`seqlab.cli.allocator`), so an in-process run leaves the
thresholds as it found them, less that adaptation.
"""

import ctypes
import ctypes.util
import os
import re

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
_GLIBC_START = 128 << 10  # both thresholds' start values (DEFAULT_MMAP_THRESHOLD_MIN)
# where a program's environment sets a threshold glibc starts with: tunable, then old variable
_START_NAMES = {M_MMAP_THRESHOLD: ("glibc.malloc.mmap_threshold", "MALLOC_MMAP_THRESHOLD_"),
                M_TRIM_THRESHOLD: ("glibc.malloc.trim_threshold", "MALLOC_TRIM_THRESHOLD_")}
_set: dict[int, int] = {}  # parameter -> the value seqlab last set in this process


def retain_freed_memory() -> bool:
    """Make glibc keep freed large blocks for reuse instead of unmapping them; False if not glibc.

    A training step allocates tens of MB of activations and frees them at the end; by default
    glibc returns blocks above its (adaptive) mmap threshold to the OS, so the next step
    page-faults them back in, which costs ~2.5 us per 4 KiB page on a VM (measured: 8 x 4 MB
    alloc + fill 20 ms, 0.9 ms with this). Process-wide and lasting: resident memory stays at
    its peak instead of shrinking between steps, for every allocation of the process.
    """
    # 32 MiB is glibc's largest mmap threshold; blocks above it are still mapped per allocation
    return _set_threshold(M_MMAP_THRESHOLD, 32 << 20) and \
        _set_threshold(M_TRIM_THRESHOLD, 1 << 30)


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
    # setting it at all turns the adaptation off; 128 KiB is glibc's default starting value
    return _set_threshold(M_MMAP_THRESHOLD, _GLIBC_START)


def allocator_settings() -> tuple[int | None, int | None]:
    """(mmap threshold, trim threshold) as seqlab last set them in this process, None for one
    it never set: what `restore_allocator_settings` takes to put them back."""
    return _set.get(M_MMAP_THRESHOLD), _set.get(M_TRIM_THRESHOLD)


def restore_allocator_settings(settings: tuple[int | None, int | None]) -> bool:
    """Set the thresholds back to `settings` (from `allocator_settings`): each seqlab changed
    since goes back to its value there, or where that is None, to the value glibc started with
    (`start_value`; its dynamic raising stays off: no call turns it back on). False if not
    glibc."""
    done = True
    for parameter, value in zip((M_MMAP_THRESHOLD, M_TRIM_THRESHOLD), settings, strict=True):
        if _set.get(parameter) == value:
            continue
        if value is None:
            done = _mallopt(parameter, start_value(parameter)) and done
            _set.pop(parameter, None)
        else:
            done = _set_threshold(parameter, value) and done
    return done


def start_value(parameter: int) -> int:
    """The value glibc started this process with for `parameter` (M_MMAP_THRESHOLD or
    M_TRIM_THRESHOLD): from GLIBC_TUNABLES, else the MALLOC_*_THRESHOLD_ variable, else
    128 KiB."""
    tunable, variable = _START_NAMES[parameter]
    given = dict(item.partition("=")[::2]
                 for item in os.environ.get("GLIBC_TUNABLES", "").split(":") if "=" in item)
    for text in (given.get(tunable), os.environ.get(variable)):
        value = _glibc_number(text)
        if value is not None:
            return value
    return _GLIBC_START


# glibc's _dl_strtoul (elf/dl-misc.c), which parses every tunable and its MALLOC_*_ alias:
# blanks, a sign, then 0x hex, a leading 0 octal, or decimal; a value with anything left over
# is ignored (tunable_initialize), and so is a negative one (below the tunable's minimum)
_GLIBC_NUMBER = re.compile(r"[ \t]*\+?(?:0[xX](?P<hex>[0-9a-fA-F]+)|(?P<oct>0[0-7]*)|"
                           r"(?P<dec>[1-9][0-9]*))")


def _glibc_number(text: str | None) -> int | None:
    """`text` as glibc reads a tunable's number (not Python's int(text, 0): "010" is 8 there,
    an error here), or None where glibc would ignore it."""
    match = _GLIBC_NUMBER.fullmatch(text) if text is not None else None
    if match is None:
        return None
    if match["hex"] is not None:
        return int(match["hex"], 16)
    if match["oct"] is not None:
        return int(match["oct"], 8)
    return int(match["dec"])


def _set_threshold(parameter: int, value: int) -> bool:
    """mallopt(parameter, value), remembered when glibc took it."""
    done = _mallopt(parameter, value)
    if done:
        _set[parameter] = value
    return done


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
