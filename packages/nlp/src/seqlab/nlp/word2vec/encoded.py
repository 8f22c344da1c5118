"""Sentences encoded once to a model's word indices on disk, for epochs over ids.

Every epoch over a list of token lists (or a `LineSentence` stream) maps each word to its
index in Python again. Encoding once after `build_vocab` keeps three flat uint32 files: the
in-vocabulary word indices, and per sentence its count of kept words and of raw words. An
epoch reads them front to back in blocks (`read`, not a memory map: the pages of a mapped
file that a pass has read count in the process's resident set until it unmaps them) and cuts
them into exactly the chunks `Word2Vec` cuts a sentence iterable into (a chunk closes after
the sentence that brings it to `batch_words` kept words), so training with `workers=1` gives
bit-identical vectors, with no list of sentences in memory and memory flat whatever the
corpus size: one block of sentence counts and one chunk of indices at a time.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

# sentences encoded per write: bounds the Python lists of one batch
_ENCODE_BATCH = 1 << 14
# sentences whose kept and raw counts an epoch reads at a time (256 KiB of each file)
READ_BLOCK_SENTENCES = 1 << 16
_ITEM = np.dtype("<u4")


class EncodedSentences:
    """A corpus as word indices in files (see the module docs); pass it to `train`."""

    def __init__(self, words_path: str | Path, kept_path: str | Path, raw_path: str | Path,
                 block_sentences: int = READ_BLOCK_SENTENCES) -> None:
        self.paths = tuple(Path(p) for p in (words_path, kept_path, raw_path))
        self.block_sentences = block_sentences
        self.sentence_count = self.paths[1].stat().st_size // _ITEM.itemsize

    @classmethod
    def encode(cls, sentences: Iterable[Sequence[str]], key_to_index: Mapping[str, int],
               folder: str | Path) -> EncodedSentences:
        """Stream `sentences` once, writing their indices under `folder` (which must exist)."""
        folder = Path(folder)
        paths = [folder / f"{name}.u32" for name in ("words", "kept", "raw")]
        get = key_to_index.get
        with open(paths[0], "wb") as words_file, open(paths[1], "wb") as kept_file, \
                open(paths[2], "wb") as raw_file:
            # machine integers (4 bytes a word), not lists of Python ints (~40 bytes a word)
            batch, kept, raw = array("I"), array("I"), array("I")
            for sentence in sentences:
                before = len(batch)
                batch.extend([i for i in map(get, sentence) if i is not None])
                kept.append(len(batch) - before)
                raw.append(len(sentence))
                if len(kept) >= _ENCODE_BATCH:
                    _write(batch, kept, raw, words_file, kept_file, raw_file)
                    batch, kept, raw = array("I"), array("I"), array("I")
            _write(batch, kept, raw, words_file, kept_file, raw_file)
        return cls(*paths)

    def __len__(self) -> int:
        """Number of sentences."""
        return self.sentence_count

    def chunks(self, batch_words: int) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
        """(word indices, sentence ends within the chunk, raw words, sentences) per chunk."""
        words_path, kept_path, raw_path = self.paths
        with open(words_path, "rb") as words_file, open(kept_path, "rb") as kept_file, \
                open(raw_path, "rb") as raw_file:
            # the open chunk's sentences from earlier blocks: (kept counts, raw counts) pieces
            pending: list[tuple[np.ndarray, np.ndarray]] = []
            pending_words = 0  # kept words in `pending`
            while True:
                kept = _read(kept_file, self.block_sentences, kept_path)
                if not kept.size:
                    break
                raw = _read(raw_file, kept.size, raw_path)
                if raw.size != kept.size:
                    raise ValueError(f"{raw_path} holds fewer sentences than {kept_path} "
                                     "(truncated?)")
                ends = np.cumsum(kept, dtype=np.int64)
                start = 0
                while start < kept.size:
                    base = int(ends[start - 1]) if start else 0
                    # the first sentence whose end brings the chunk to batch_words kept words
                    # closes it (at least one sentence a chunk)
                    target = base + batch_words - pending_words
                    stop = int(np.searchsorted(ends, target, side="left")) + 1
                    if stop > kept.size:  # not closed in this block: carry it over
                        pending.append((kept[start:], raw[start:]))
                        pending_words += int(ends[-1]) - base
                        break
                    stop = max(stop, start + 1)
                    pieces = [*pending, (kept[start:stop], raw[start:stop])]
                    yield _chunk(pieces, words_file, words_path)
                    pending, pending_words = [], 0
                    start = stop
            if pending:
                yield _chunk(pending, words_file, words_path)
            for stream, path in ((words_file, words_path), (raw_file, raw_path)):
                if stream.read(1):
                    raise ValueError(f"{path} holds more than {kept_path}'s sentence counts "
                                     "say (truncated?)")


def _chunk(pieces: list[tuple[np.ndarray, np.ndarray]], words_file: BinaryIO,
           words_path: Path) -> tuple[np.ndarray, np.ndarray, int, int]:
    """A chunk of the sentences whose (kept, raw) counts are `pieces`; reads their indices."""
    kept = np.concatenate([k for k, _ in pieces]) if len(pieces) > 1 else pieces[0][0]
    raw_words = sum(int(r.sum(dtype=np.int64)) for _, r in pieces)
    ends = np.cumsum(kept, dtype=np.int64)
    count = int(ends[-1]) if ends.size else 0
    words = _read(words_file, count, words_path).astype(np.int64)
    if words.size != count:
        raise ValueError(f"{words_path} is shorter than its sentence counts say (truncated?)")
    return words, ends, raw_words, int(kept.size)


def _read(stream: BinaryIO, count: int, path: Path) -> np.ndarray:
    """Up to `count` uint32 values from `stream` (fewer at the end of the file)."""
    data = stream.read(count * _ITEM.itemsize)
    if len(data) % _ITEM.itemsize:
        raise ValueError(f"{path} ends in the middle of a value (truncated?)")
    return np.frombuffer(data, dtype=_ITEM)


def _write(batch: array, kept: array, raw: array, *streams: BinaryIO) -> None:
    """Append one batch of indices and per-sentence counts (arrays of "I") to the three
    files, as little-endian uint32."""
    for values, stream in zip((batch, kept, raw), streams):
        stream.write(np.frombuffer(values, dtype=np.uintc).astype(_ITEM, copy=False).data)
