"""Word counts of a corpus in compact arrays (see `count_kernels`), for corpora with many words.

`count_words` gives the same `VocabCounts` as `vocab.scan_vocab` followed by the min_count cut:
the same words, counts, first-seen order, word and sentence totals, with only the words seen at
least min_count times as str. On a corpus with 4.5M distinct words (200 MB of Zipf-distributed
text) the dict of every distinct word was ~480 MB; the compact table is ~150 MB.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from seqlab.nlp.word2vec.vocab import VocabCounts, refuse_str_sentence

BATCH_TOKENS = 1 << 16  # tokens counted in a Counter, then added to the table in one call
MAX_LOAD = 0.7  # grow the hash table beyond this fraction of its slots in use
_NEWLINE = 10
_INVALID_UTF8 = 255  # never a byte of UTF-8: the separator when a token contains a newline


class CompactCounts:
    """A growing table of word counts: UTF-8 bytes, offsets, counts, an open-addressing index."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        self.table = np.zeros(_power_of_two(int(capacity / MAX_LOAD) + 1), dtype=np.int32)
        self.blob = np.empty(capacity * 8, dtype=np.uint8)
        self.offsets = np.zeros(capacity + 1, dtype=np.int64)
        self.counts = np.empty(capacity, dtype=np.int64)
        self.blob_used = 0
        self.num_words = 0

    def add(self, counter: Counter[str]) -> None:
        """Add a Counter's counts (keys: any str, the empty one included), in its key order."""
        if not counter:
            return
        tokens = list(counter)
        amounts = np.fromiter(counter.values(), dtype=np.int64, count=len(tokens))
        joined = "\n".join(tokens)
        if joined.count("\n") == len(tokens) - 1:
            data, separator = joined.encode("utf-8", "surrogatepass"), _NEWLINE
        else:  # a token holds a newline: separate with a byte UTF-8 never has
            data = bytes([_INVALID_UTF8]).join(
                token.encode("utf-8", "surrogatepass") for token in tokens)
            separator = _INVALID_UTF8
        del joined
        buffer = np.frombuffer(data, dtype=np.uint8)
        if self.blob_used + len(buffer) > len(self.blob):
            self.blob = _grown(self.blob, self.blob_used,
                               max(2 * len(self.blob), self.blob_used + len(buffer)))
        from seqlab.nlp.word2vec import count_kernels

        position = token = 0
        while position <= len(buffer):
            limit = min(len(self.counts), int(len(self.table) * MAX_LOAD))
            if self.num_words >= limit:
                self._grow(count_kernels)
                continue
            position, token, self.blob_used, self.num_words = count_kernels.count_separated(
                buffer, separator, amounts, position, token, self.table, self.blob,
                self.blob_used, self.offsets, self.counts, self.num_words, limit)

    def _grow(self, count_kernels) -> None:
        if self.num_words >= len(self.counts):
            capacity = 2 * len(self.counts)
            self.counts = _grown(self.counts, self.num_words, capacity)
            self.offsets = _grown(self.offsets, self.num_words + 1, capacity + 1)
        if self.num_words >= int(len(self.table) * MAX_LOAD):
            self.table = np.zeros(2 * len(self.table), dtype=np.int32)
            count_kernels.fill_table(self.table, self.blob, self.offsets, self.num_words)

    def word(self, index: int) -> str:
        """The word with first-seen index `index`."""
        data = self.blob[self.offsets[index]:self.offsets[index + 1]].tobytes()
        return data.decode("utf-8", "surrogatepass")

    def at_least(self, min_count: int) -> dict[str, int]:
        """{word: count} of the words counted at least min_count times, in first-seen order."""
        kept = np.flatnonzero(self.counts[:self.num_words] >= min_count)
        return {self.word(index): count
                for index, count in zip(kept.tolist(), self.counts[kept].tolist(), strict=True)}


def count_words(sentences: Iterable[Sequence[str]], min_count: int) -> VocabCounts:
    """Count a corpus's words compactly; `counts` holds the words seen >= min_count times.

    `distinct_words` is the number of distinct words of the whole corpus. Raises TypeError for
    a sentence given as a str, as `scan_vocab` does. Tokens that are not str (ints, bytes: any
    hashable, as `scan_vocab` takes) move the counts to a Counter from the first batch holding
    one, in the same first-seen order (then memory is a dict's, as `scan_vocab`'s).
    """
    table = CompactCounts()
    plain: Counter | None = None  # every count, once a token is not a str
    total_words = sentence_count = 0
    batch: Counter[str] = Counter()  # a batch's counts, in first-seen order
    batch_tokens = 0
    for sentence in sentences:
        refuse_str_sentence(sentence)
        batch.update(sentence)
        batch_tokens += len(sentence)
        sentence_count += 1
        if batch_tokens >= BATCH_TOKENS:
            plain = _add(table, plain, batch)
            total_words += batch_tokens
            batch, batch_tokens = Counter(), 0
    plain = _add(table, plain, batch)
    total_words += batch_tokens
    del batch
    if plain is not None:
        kept = {word: count for word, count in plain.items() if count >= min_count}
        return VocabCounts(kept, total_words, sentence_count, distinct_words=len(plain))
    table.table = np.zeros(0, dtype=np.int32)  # no more lookups: the index goes before the dict
    return VocabCounts(table.at_least(min_count), total_words, sentence_count,
                       distinct_words=table.num_words)


def _add(table: CompactCounts, plain: Counter | None, batch: Counter) -> Counter | None:
    """Add a batch to the table, or to `plain` (returned; made from the table the first time a
    batch holds a token that is not a str)."""
    if plain is None and all(type(token) is str for token in batch):
        table.add(batch)
        return None
    if plain is None:
        plain = Counter(table.at_least(1))
    plain.update(batch)
    return plain


def _power_of_two(value: int) -> int:
    return 1 << max(value - 1, 1).bit_length()


def _grown(array: np.ndarray, used: int, capacity: int) -> np.ndarray:
    """A larger array holding array[:used]; its pages past `used` stay untouched (not resident)."""
    bigger = np.empty(capacity, dtype=array.dtype)
    bigger[:used] = array[:used]
    return bigger
