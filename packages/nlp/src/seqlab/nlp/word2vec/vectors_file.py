"""Read word vectors in whichever common format a file is: word2vec text (a "count dim"
header), word2vec binary, or GloVe text (no header). gensim's reader does the parsing.
`vocabulary_vectors` lines pretrained vectors up with a tokenizer's ids, for initialising an
embedding table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def vocabulary_vectors(tokenizer: Any, words: Sequence[str],
                       vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, their vectors) for the tokenizer's non-special tokens that have a vector.

    `words[i]` names row i of `vectors` (as `read_vectors` returns them; gensim keeps one row
    per word). Ids come in increasing order. Raises ValueError when no token has a
    vector (vectors of another language, or lowercase vectors for cased text).
    """
    index = {word: row for row, word in enumerate(words)}
    special = set(tokenizer.special_ids)
    ids, found = [], []
    for token_id in range(tokenizer.vocab_size):
        if token_id in special:
            continue
        row = index.get(tokenizer.id_to_token(token_id))
        if row is not None:
            ids.append(token_id)
            found.append(row)
    if not ids:
        raise ValueError("none of the vocabulary's words has a vector (another language, or "
                         "lowercase vectors for cased text?)")
    return np.array(ids, dtype=np.int64), np.asarray(vectors)[found]
