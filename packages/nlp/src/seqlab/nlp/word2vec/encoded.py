"""Sentences encoded once to a model's word indices and memory-mapped, for epochs over ids.

Every epoch over a list of token lists (or a `LineSentence` stream) maps each word to its
index in Python again. Encoding once after `build_vocab` keeps three flat arrays on disk:
the in-vocabulary word indices (uint32), and per sentence its count of kept words and of raw
words (uint32). An epoch then cuts them into exactly the chunks `Word2Vec` cuts a sentence
iterable into (a chunk closes after the sentence that brings it to `batch_words` kept words),
so training with `workers=1` gives bit-identical vectors, with no list of sentences in memory.
The running sentence ends (int64) are a fourth file, and the pages an epoch has read are given
back as it goes (`seqlab.autograd.mapped_pages`): memory stays flat whatever the corpus size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from seqlab.autograd.atomic import atomic_path
from seqlab.autograd.mapped_pages import PageReleaser

# sentences encoded per write: bounds the Python lists of one batch
_ENCODE_BATCH = 1 << 14

RELEASE_EVERY_BYTES = 4 << 20


class EncodedSentences:
    """A corpus as memory-mapped word indices (see the module docs); pass it to `train`."""

    def __init__(self, words: np.ndarray, kept: np.ndarray, raw: np.ndarray,
                 ends: np.ndarray | None = None) -> None:
        self.words, self.kept, self.raw = words, kept, raw
        self.ends = np.cumsum(kept, dtype=np.int64) if ends is None else ends
        # every 4 MiB read (not the default 16): 12 MB less at the peak, for a madvise per
        # ~100 chunks of 10,000 words
        self._pages = PageReleaser(words, kept, raw, self.ends, every_bytes=RELEASE_EVERY_BYTES)

    @classmethod
    def encode(cls, sentences: Iterable[Sequence[str]], key_to_index: Mapping[str, int],
               folder: str | Path) -> EncodedSentences:
        """Stream `sentences` once, writing their indices under `folder` (which must exist)."""
        folder = Path(folder)
        paths = [folder / f"{name}.u32" for name in ("words", "kept", "raw")]
        get = key_to_index.get
        with open(paths[0], "wb") as words_file, open(paths[1], "wb") as kept_file, \
                open(paths[2], "wb") as raw_file:
            batch: list[int] = []
            kept: list[int] = []
            raw: list[int] = []
            for sentence in sentences:
                indices = [i for i in map(get, sentence) if i is not None]
                batch.extend(indices)
                kept.append(len(indices))
                raw.append(len(sentence))
                if len(kept) >= _ENCODE_BATCH:
                    for values, stream in ((batch, words_file), (kept, kept_file),
                                           (raw, raw_file)):
                        stream.write(np.ascontiguousarray(values, dtype=np.uint32).data)
                    batch, kept, raw = [], [], []
            for values, stream in ((batch, words_file), (kept, kept_file), (raw, raw_file)):
                stream.write(np.ascontiguousarray(values, dtype=np.uint32).data)
        arrays = [np.memmap(p, dtype=np.uint32, mode="r") if p.stat().st_size
                  else np.zeros(0, dtype=np.uint32) for p in paths]
        return cls(*arrays, ends=_running_ends(arrays[1], folder / "ends.i64"))

    def __len__(self) -> int:
        """Number of sentences."""
        return len(self.kept)

    def chunks(self, batch_words: int) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
        """(word indices, sentence ends within the chunk, raw words, sentences) per chunk."""
        start = 0
        while start < len(self.kept):
            base = int(self.ends[start - 1]) if start else 0
            # the first sentence whose end brings the chunk to batch_words kept words closes it
            stop = int(np.searchsorted(self.ends, base + batch_words, side="left")) + 1
            stop = min(max(stop, start + 1), len(self.kept))
            end = int(self.ends[stop - 1])
            words = np.asarray(self.words[base:end], dtype=np.int64)
            ends = self.ends[start:stop] - base
            raw_words = int(self.raw[start:stop].sum(dtype=np.int64))
            self._pages.advance(words.size * self.words.itemsize + (stop - start) * 16)
            yield words, ends, raw_words, stop - start
            start = stop
        self._pages.release()


def _running_ends(kept: np.ndarray, path: Path, block: int = 1 << 20) -> np.ndarray:
    """np.cumsum(kept) as an int64 memory map in `path`, computed block by block."""
    if not kept.size:
        return np.zeros(0, dtype=np.int64)
    total = 0
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        for start in range(0, kept.size, block):
            ends = np.cumsum(kept[start:start + block], dtype=np.int64) + total
            stream.write(ends.data)
            total = int(ends[-1])
    return np.memmap(path, dtype=np.int64, mode="r")
