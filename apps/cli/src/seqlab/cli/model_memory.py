"""Refuse a model too large for this machine before allocating it, with its size and what to
lower."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from seqlab.cli.errors import CliError

# spelled here, not read from seqlab.seqmodels.cell_kinds (whose import loads Numba: the start-up
# floor); tests/cli/test_model_memory_gates.py checks they agree
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
TRAINING_COPIES = 4  # weights, gradients and Adam's two moments


def recurrent_parameters(cell: str, input_size: int, hidden: int, layers: int) -> int:
    """Parameters of a stack of recurrent layers (two bias vectors per gate, as cuDNN)."""
    gates = GATES.get(str(cell).lower(), 4)
    total = 0
    size = input_size
    for _ in range(max(int(layers), 1)):
        total += gates * hidden * (size + hidden + 2)
        size = hidden
    return total


def language_model_parameters(vocab: int, embedding: int, hidden: int, layers: int,
                              cell: str) -> int:
    """Parameters of a LanguageModel: embedding, recurrent stack and output layer."""
    return (vocab * embedding + recurrent_parameters(cell, embedding, hidden, layers)
            + hidden * vocab + vocab)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux MemAvailable, else physical)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def human(size: float) -> str:
    """1.5 GiB, 381.0 GiB, 2.7 TiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"


def check_fits(needed: int, what: str, lower: str) -> None:
    """A CliError when `needed` bytes exceed the memory available: `what` needs SIZE, this
    machine has SIZE available; `lower` names the options to make smaller."""
    available = available_memory()
    if available is not None and needed > available:
        raise CliError(f"{what} needs about {human(needed)} of memory, but this machine has "
                       f"{human(available)} available (lower {lower})")


def check_parameters(parameters: int, itemsize: int, what: str, lower: str) -> None:
    """check_fits for training a model of `parameters` numbers of `itemsize` bytes."""
    check_fits(parameters * itemsize * TRAINING_COPIES, what, lower)


@contextmanager
def out_of_memory(what: str, lower: str) -> Iterator[None]:
    """Turn a MemoryError inside the block into one line naming what to lower."""
    try:
        yield
    except MemoryError as error:
        raise CliError(f"not enough memory for {what} (lower {lower})") from error
