"""Read word vectors in whichever common format a file is: word2vec text (a "count dim"
header), word2vec binary, or GloVe text (no header). gensim's reader does the parsing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SNIFF_BYTES = 1 << 16


def vectors_format(path: str | Path) -> tuple[bool, bool]:
    """(binary, has_header) for a vectors file, from its first bytes."""
    path = Path(path)
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    has_header = len(fields) == 2 and all(field.isdigit() for field in fields)
    if not has_header:
        if len(fields) < 2:
            raise ValueError(f"{path} is not a word-vectors file: its first line should be "
                             "'COUNT DIM' (word2vec) or 'word v1 v2 ...' (GloVe)")
        return False, False
    try:
        rest.decode("utf-8")
        binary = b"\0" in rest
    except UnicodeDecodeError as error:
        # a multi-byte character cut at the end of the sniffed block is still text
        binary = error.start < len(rest) - 4
    return binary, True


def read_vectors(path: str | Path) -> tuple[list[str], np.ndarray]:
    """(words, float32 vectors (V, D)) from a word2vec text/binary or GloVe text file."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"vectors file not found: {path} (check the path)")
    binary, has_header = vectors_format(path)
    try:
        vectors = KeyedVectors.load_word2vec_format(str(path), binary=binary,
                                                    no_header=not has_header)
    except (ValueError, EOFError, UnicodeDecodeError, IndexError) as error:
        raise ValueError(f"{path}: cannot read word vectors ({error})") from error
    return list(vectors.index_to_key), np.asarray(vectors.vectors, dtype=np.float32)
