"""Standard input, copied once to a temporary file, so that a command can read it again.

A command that passes over its corpus more than once (a vocabulary, then the ids; or every
word2vec epoch) cannot re-read a pipe. Instead of holding the text in memory it copies the raw
bytes to a file beside its other scratch files, reads that file as it reads any file (same
decoding, same error policy, so the same tokens as from a file), and deletes it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from seqlab.autograd.atomic import atomic_path
from seqlab.nlp.corpora.reading import DEFAULT_CHUNK_BYTES, STDIN


def has_stdin(sources: list[str | Path] | None) -> bool:
    """Whether '-' (standard input) is among the sources."""
    return any(str(source) == STDIN for source in sources or ())


def copy_stdin(folder: str | Path, stdin: BinaryIO | None = None) -> Path:
    """Copy standard input's bytes to a new hidden file in `folder`; the caller removes it."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    name = Path(folder) / f".stdin-{os.getpid()}-{uuid.uuid4().hex[:8]}.txt"
    with atomic_path(name) as temporary, open(temporary, "wb") as copy:
        shutil.copyfileobj(stdin if stdin is not None else sys.stdin.buffer, copy,
                           DEFAULT_CHUNK_BYTES)
    return name


def replace_stdin(sources: list[str | Path], copy: Path) -> list[str | Path]:
    """`sources` with '-' replaced by `copy`; '-' may appear once."""
    if sum(str(source) == STDIN for source in sources) > 1:
        raise ValueError("'-' (standard input) can be given only once")
    return [copy if str(source) == STDIN else source for source in sources]


@contextlib.contextmanager
def spooled_stdin(sources: list[str | Path], folder: str | Path,
                  stdin: BinaryIO | None = None) -> Iterator[list[str | Path]]:
    """`sources` with '-' replaced by a temporary copy of stdin in `folder`, removed on exit.

    Sources without '-' come back unchanged and nothing is written. '-' may appear once.
    """
    if not has_stdin(sources):
        yield list(sources)
        return
    replace_stdin(sources, Path())  # refuse a second '-' before reading anything
    copy = copy_stdin(folder, stdin)
    try:
        yield replace_stdin(sources, copy)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(copy)
