"""`Word2Vec.save` / `load` and `KeyedVectors.save` / `load`: gensim's names and semantics in
one safetensors file.

gensim pickles the object (`utils.SaveLoad`), and unpickling a file runs code from it, which
is why PyTorch's `torch.load` now defaults to `weights_only`. Here the arrays go into a
safetensors file and the settings into its JSON header (`seqlab.autograd.io`), written
atomically. A saved model trains on where it stopped, as gensim's does: the vectors, both
output layers, the negative-sampling and down-sampling tables, the Huffman codes, the corpus
counts and the random generator's state are saved. Callbacks are not (pass them to `train`).
gensim's own files are pickles: read their vectors with `save_word2vec_format` in gensim and
`KeyedVectors.load_word2vec_format` here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd import io

FORMAT = "seqlab-word2vec"
# Version 2 added the settings sorted_vocab, max_final_vocab, shrink_windows and comment and
# effective_min_count: a version-1 reader would pass them to a constructor that lacks them, so
# it must refuse the file (it does, in one line, for any version but 1). A KeyedVectors file
# did not change and is still written as version 1, which every seqlab reads.
VERSION = 2
KEYED_VECTORS_VERSION = 1
READS = (1, 2)
# Word2Vec.__init__ arguments kept as they were (callbacks are objects: not saved).
SETTINGS = ("vector_size", "alpha", "min_alpha", "window", "min_count", "max_vocab_size",
            "sample", "seed", "workers", "sg", "hs", "negative", "ns_exponent", "cbow_mean",
            "epochs", "batch_words", "compute_loss", "sorted_vocab", "max_final_vocab",
            "shrink_windows", "comment")
# Training state arrays a model has once its vocabulary is built.
MODEL_ARRAYS = ("syn1neg", "syn1", "cum_table", "cum_guide", "sample_ints", "codes", "points",
                "codelens")
_KINDS = {"keyed_vectors": "KeyedVectors", "word2vec": "Word2Vec"}


def _keys_array(keys: list[str]) -> np.ndarray:
    """The vocabulary as UTF-8 JSON bytes (a 3M-word vocabulary would overflow a header)."""
    return np.frombuffer(json.dumps(keys, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _vectors_state(kv) -> dict[str, np.ndarray]:
    state = {"vectors": kv.vectors, "keys": _keys_array(kv.index_to_key)}
    if kv.counts is not None:
        state["counts"] = kv.counts
    return state


def save_keyed_vectors(kv, path: str | Path) -> None:
    """Write a KeyedVectors' keys, vectors and counts."""
    io.save(path, _vectors_state(kv), {"format": FORMAT, "version": KEYED_VECTORS_VERSION,
                                       "kind": "keyed_vectors", "vector_size": kv.vector_size})


def save_model(model, path: str | Path) -> None:
    """Write a Word2Vec model with everything training on needs."""
    state = _vectors_state(model.wv)
    if len(model.wv):
        state.update({name: getattr(model, name) for name in MODEL_ARRAYS})
    metadata = {
        "format": FORMAT, "version": VERSION, "kind": "word2vec",
        "settings": {name: getattr(model, name) for name in SETTINGS},
        "effective_min_count": model.effective_min_count,
        "corpus_count": model.corpus_count, "corpus_total_words": model.corpus_total_words,
        "running_training_loss": model.running_training_loss,
        "random_state": model._random.bit_generator.state,
    }
    io.save(path, state, metadata)


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    """Whether `head` (a file's first 9 bytes, of `size` in all) starts a safetensors file:
    a little-endian 8-byte header length that fits the file, then the JSON header's `{`."""
    if len(head) < 9:
        return False
    length = int.from_bytes(head[:8], "little")
    return 2 <= length <= size - 8 and head[8:9] == b"{"


READ_IN_PYTHON = "read them here with KeyedVectors.load_word2vec_format('vectors.bin', binary=True)"


def refuse_pickle(path: str | Path, then: str = READ_IN_PYTHON) -> None:
    """A ValueError naming the way to the vectors when `path` is a pickle (gensim's own
    `save`), which is never unpickled here: unpickling runs code from the file. `then`: how
    the caller reads the vectors gensim writes ('vectors.bin'), e.g. a seqlab command line.

    A safetensors header length can start with the same two bytes as a pickle (0x0580 bytes
    is b"\\x80\\x05"), so a file that reads as safetensors is never called a pickle."""
    try:
        with open(path, "rb") as file:
            head = file.read(9)
            size = file.seek(0, 2)
    except OSError:
        return  # io.load says what is wrong with the path
    if _looks_like_safetensors(head, size):
        return
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise ValueError(f"{path} is a Python pickle (what gensim's Word2Vec.save writes), not a "
                         "seqlab file, and seqlab never unpickles; in gensim, save the vectors "
                         "with model.wv.save_word2vec_format('vectors.bin', binary=True), then "
                         f"{then}")


def _listed(versions: tuple[int, ...]) -> str:
    """`versions` as prose: "1", "1 and 2", "1, 2 and 3"."""
    names = [str(version) for version in versions]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _read(path: str | Path, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    refuse_pickle(path)
    state, metadata = io.load(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is not a file written by Word2Vec.save or KeyedVectors.save "
                         "(a gensim model is a pickle: save its vectors with gensim's "
                         "save_word2vec_format and read them with "
                         "KeyedVectors.load_word2vec_format)")
    if metadata.get("version") not in READS:
        raise ValueError(f"{path} has {FORMAT} version {metadata.get('version')}; this seqlab "
                         f"reads versions {_listed(READS)} (a newer seqlab may have written it: "
                         "upgrade; or the file is damaged)")
    found = metadata.get("kind")
    if found != kind:
        hint = ".wv" if found == "word2vec" else ""
        raise ValueError(f"{path} holds a {_KINDS.get(found, found)}, not a {_KINDS[kind]}: "
                         f"read it with {_KINDS.get(found, found)}.load(path){hint}")
    return state, metadata


def _fill_vectors(kv, state: dict[str, np.ndarray]) -> None:
    kv.index_to_key = json.loads(state["keys"].tobytes().decode("utf-8"))
    kv.key_to_index = {key: index for index, key in enumerate(kv.index_to_key)}
    kv.vectors = state["vectors"]
    kv.counts = state.get("counts")


def load_keyed_vectors(path: str | Path, cls) -> Any:
    """A KeyedVectors (of class `cls`) from a file written by `save_keyed_vectors`."""
    state, metadata = _read(path, "keyed_vectors")
    kv = cls(int(metadata["vector_size"]))
    _fill_vectors(kv, state)
    return kv


def load_model(path: str | Path, cls) -> Any:
    """A Word2Vec (of class `cls`) from a file written by `save_model`."""
    state, metadata = _read(path, "word2vec")
    model = cls(**metadata["settings"])  # version 1 lacks four: the constructor's defaults
    _fill_vectors(model.wv, state)
    for name in MODEL_ARRAYS:
        if name in state:
            setattr(model, name, state[name])
    # files from before it was saved: min_count, as the constructor sets it
    model.effective_min_count = int(metadata.get("effective_min_count", model.min_count))
    model.corpus_count = int(metadata["corpus_count"])
    model.corpus_total_words = int(metadata["corpus_total_words"])
    model.running_training_loss = float(metadata["running_training_loss"])
    model._random.bit_generator.state = metadata["random_state"]
    return model
