"""N-gram counting in a memory budget: sorted runs spilled to disk and merged (as KenLM's lmplz).

The result is exactly `counting.count_ngrams`'s tables (same ids, same sorted keys), so every
smoothing method estimates the same model and writes the same ARPA file. The corpus is streamed:

1. one pass maps tokens to ids in first-appearance order (what `encode_corpus` does; a long
   line may come in `sentences.ContinuedLine` parts) and writes the padded ids
   (`<s> w1 ... wm </s>`, uint32) to a scratch file; only the vocabulary is held;
2. for each order n = 2..N, one pass over that file in blocks (cut anywhere, inside a sentence
   too: each block carries the previous one's last position and node), so a line of any
   length is counted a block at a time: the (n-1)-gram ending at each position is found in
   the finished order n-1 table (the previous pass kept, on disk, each block's distinct keys
   and each position's index among them, so one sorted search per distinct key does it),
   the block's order-n keys `parent * V + word` are counted,
   and the sorted (key, count, suffix) rows are buffered; a full buffer is merged and spilled
   to disk as a sorted run;
3. the runs are merged window by window (every key up to the smallest last key of the runs'
   windows is final), which needs one window per run in memory.

`memory_bytes` bounds the working memory of counting (blocks, buffer, merge windows).
`count_ngrams_external` then holds the finished tables as the in-memory path does;
`count_orders(on_disk=True)` leaves them on disk for `streamed`, which estimates Kneser-Ney
and writes the ARPA file within the same budget. Pages of memory-mapped files are given back
as each pass moves on (`seqlab.autograd.mapped_pages`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.autograd.mapped_pages import PageReleaser
from seqlab.nlp.ngram import count_kernels
from seqlab.nlp.ngram.counting import NgramTable
from seqlab.nlp.ngram.scratch import scratch_folder
from seqlab.nlp.ngram.sentences import ContinuedLine
from seqlab.nlp.ngram.vocabulary import (
    BOS,
    BOS_ID,
    EOS,
    EOS_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    require_a_kept_word,
)

BYTES_PER_ROW = 24  # key, count, suffix: int64 each
# working bytes per token of a block (ids, positions, lookups, keys and np.unique's sort)
BYTES_PER_BLOCK_TOKEN = 96
MIN_BLOCK_TOKENS = 16
MIN_BUFFER_ROWS = 16
SEARCH_SLICE = 1 << 15  # sorted keys searched in a table between page releases
# What the process itself holds (interpreter, NumPy, Numba, llvmlite and the compiled kernels):
# 250-290 MB measured, taken out of a budget before it is split (at most half of it).
PROCESS_BYTES = 320 << 20


def working_bytes(memory_bytes: int) -> int:
    """The part of a whole-process budget (as `--memory`) left for data."""
    return memory_bytes - min(PROCESS_BYTES, memory_bytes // 2)


@dataclass
class CountingStats:
    """What counting did: blocks read and runs spilled per order (for tests and reports).
    `on_phase`, if given, hears each phase as it starts ('counting 3-grams', 'merging 3-gram
    runs', 'estimating', 'writing'): a caller's progress display; the library prints nothing."""

    tokens: int = 0
    sentences: int = 0
    runs: dict[int, int] = field(default_factory=dict)
    on_phase: Callable[[str], None] | None = None

    def enter(self, phase: str) -> None:
        """Tell `on_phase` (if any) that `phase` starts."""
        if self.on_phase is not None:
            self.on_phase(phase)


@dataclass(frozen=True)
class Counts:
    """Sorted distinct keys of one order with their counts and suffix rows."""

    keys: np.ndarray
    counts: np.ndarray
    suffix: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)


def merge_counts(parts: Sequence[Counts]) -> Counts:
    """One sorted Counts from several sorted ones (keys summed; a key's suffix is the same
    everywhere), by a k-way merge."""
    parts = [p for p in parts if len(p)]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Counts(empty, empty, empty)
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(p) for p in parts], dtype=np.int64)
    unique, counts, suffix = count_kernels.merge_sorted_parts(
        np.concatenate([p.keys for p in parts]),
        np.concatenate([p.counts for p in parts]).astype(np.int64, copy=False),
        np.concatenate([p.suffix for p in parts]).astype(np.int64, copy=False), offsets)
    return Counts(unique, counts, suffix)


def run_window(run, start: int, stop: int) -> Counts:
    """Rows start..stop of a sorted run: a Counts (arrays or memory maps), or any object with
    `window(start, stop)` (a run held elsewhere, e.g. on a Dask worker)."""
    if hasattr(run, "window"):
        return run.window(start, stop)
    return Counts(np.asarray(run.keys[start:stop]), np.asarray(run.counts[start:stop]),
                  np.asarray(run.suffix[start:stop]))


def merged_windows(runs: Sequence, window_rows: int) -> Iterator[Counts]:
    """The merge of sorted runs, in order, one window at a time: every key up to the smallest
    last key of the runs' current windows is final. Holds one window per run."""
    window_rows = max(1, window_rows)
    starts = [0] * len(runs)
    pages = PageReleaser(*(getattr(run, part) for run in runs if not hasattr(run, "window")
                           for part in ("keys", "counts", "suffix")))
    while True:
        live = [i for i, run in enumerate(runs) if starts[i] < len(run)]
        if not live:
            return
        windows = {i: run_window(runs[i], starts[i], min(starts[i] + window_rows, len(runs[i])))
                   for i in live}
        pivot = min(int(window.keys[-1]) for window in windows.values())
        pieces = []
        for i, window in windows.items():
            take = int(np.searchsorted(window.keys, pivot, side="right"))
            pieces.append(Counts(window.keys[:take], window.counts[:take], window.suffix[:take]))
            starts[i] += take
        yield merge_counts(pieces)
        pages.advance(sum(24 * len(piece) for piece in pieces))


def merge_sorted_runs(runs: Sequence, window_rows: int) -> Counts:
    """Merge sorted runs (arrays, memory maps or remote runs) holding one window of each run
    at a time (see `merged_windows`)."""
    merged = list(merged_windows(runs, window_rows))
    return Counts(*(np.concatenate([getattr(m, name) for m in merged]) if merged
                    else np.zeros(0, dtype=np.int64) for name in ("keys", "counts", "suffix")))


def write_run(windows: Iterable[Counts], stem: Path) -> Counts:
    """Write sorted Counts windows to `stem`.{keys,counts,suffix}.raw and memory-map them back."""
    parts = ("keys", "counts", "suffix")
    paths = [stem.with_suffix(f".{part}.raw") for part in parts]
    streams = [open(path, "wb") for path in paths]  # noqa: SIM115 - closed below
    rows = 0
    try:
        for window in windows:
            for stream, part in zip(streams, parts):  # file.write: a full disk is ENOSPC
                stream.write(np.ascontiguousarray(getattr(window, part), dtype=np.int64).data)
            rows += len(window)
    finally:
        for stream in streams:
            stream.close()
    if rows == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Counts(empty, empty, empty)
    return Counts(*(np.memmap(path, dtype=np.int64, mode="r", shape=(rows,)) for path in paths))


def sentence_positions(ids: np.ndarray, first_position: int = 0) -> np.ndarray:
    """Position of every id in its padded sentence (each <s> starts one); ids before the
    first <s> go on a sentence whose first of them is at `first_position` (a block cut
    inside a sentence: see `sentence_blocks`)."""
    is_start = ids == BOS_ID
    starts = np.concatenate(([-first_position], np.flatnonzero(is_start)))
    sentence_of = np.cumsum(is_start)
    return np.arange(len(ids), dtype=np.int64) - starts[sentence_of]


def count_block(ids: np.ndarray, position: np.ndarray, parent_node: np.ndarray, order: int,
                vocab_size: int, first: int = 0) -> tuple[Counts, np.ndarray]:
    """Order-`order` Counts of the n-grams ending at positions `first`.. of a block of padded
    ids, and the index of each of those positions' n-gram among the block's distinct keys
    (-1 where there is none). With `first` = 1 the block's first id is the previous block's
    last, there only as the context of the next.

    `parent_node` is the finished order n-1 row of the n-gram ending at each position (the
    ids for order 2; `BlockNodes.rows` after): the parents and suffixes of this order's.
    """
    ends = np.flatnonzero(position[first:] >= order - 1) + first
    keys = parent_node[ends - 1] * vocab_size + ids[ends]
    unique, counts, inverse, suffix = count_kernels.count_keys(keys, parent_node[ends])
    local = np.full(len(ids) - first, -1, dtype=np.int64)
    local[ends - first] = inverse
    return Counts(unique, counts, suffix), local


class BlockNodes:
    """Each block's distinct keys and per-position index into them, kept on disk for one pass,
    so the next order finds every position's row with one sorted search per distinct key."""

    def __init__(self, scratch: Path, name: str) -> None:
        self.path = scratch / f"{name}.nodes.npy"
        self.keys_path = scratch / f"{name}.keys.npy"
        self.stream = open(self.path, "wb")  # noqa: SIM115 - closed in finish()
        self.keys_stream = open(self.keys_path, "wb")  # noqa: SIM115
        self.block_sizes: list[tuple[int, int]] = []

    def add(self, unique_keys: np.ndarray, local: np.ndarray) -> None:
        self.stream.write(np.ascontiguousarray(local).data)
        self.keys_stream.write(np.ascontiguousarray(unique_keys).data)
        self.block_sizes.append((len(local), len(unique_keys)))

    def finish(self) -> None:
        """Close the files (what is left is a few numbers: the object pickles)."""
        self.stream.close()
        self.keys_stream.close()
        self.stream = self.keys_stream = None

    def rows(self, table_keys: np.ndarray) -> Iterator[np.ndarray]:
        """Per block, each position's row in the finished table of these keys (-1: none)."""
        local_all = np.memmap(self.path, dtype=np.int64, mode="r") if self.block_sizes else None
        keys_all = np.memmap(self.keys_path, dtype=np.int64, mode="r") \
            if any(k for _, k in self.block_sizes) else None
        at = key_at = 0
        pages = PageReleaser(table_keys, local_all, keys_all)
        for size, n_keys in self.block_sizes:
            local = np.asarray(local_all[at: at + size])
            rows = _search_table(table_keys, np.asarray(keys_all[key_at: key_at + n_keys]),
                                 pages)
            node = np.full(size, -1, dtype=np.int64)
            defined = local >= 0
            node[defined] = rows[local[defined]]
            at, key_at = at + size, key_at + n_keys
            pages.release()
            yield node
        del local_all, keys_all
        self.path.unlink(missing_ok=True)
        self.keys_path.unlink(missing_ok=True)


def _search_table(table_keys: np.ndarray, needles: np.ndarray,
                  pages: PageReleaser) -> np.ndarray:
    """Row of each of a block's sorted distinct keys in a finished table (memory-mapped).
    A block's keys reach all over the table, so one search would make every page of it
    resident at once (the whole order, over 1 GB at the 1 GB corpus); a slice of sorted
    needles at a time covers one stretch of the table, whose pages are counted and given
    back as the searches move on."""
    haystack = np.asarray(table_keys)
    rows = np.empty(len(needles), dtype=np.int64)
    low = 0
    for start, stop in _slices(len(needles), SEARCH_SLICE):
        rows[start:stop] = count_kernels.search_sorted_needles(haystack, needles[start:stop],
                                                               low)
        pages.advance(8 * (int(rows[stop - 1]) - low) + 4096)  # the stretch searched
        low = int(rows[stop - 1])
    return rows


def _slices(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


class ExternalCounter:
    """Buffers block counts of one order and spills sorted runs when the buffer is full."""

    def __init__(self, buffer_rows: int, scratch: Path, name: str) -> None:
        self.buffer_rows = max(MIN_BUFFER_ROWS, buffer_rows)
        self.scratch, self.name = scratch, name
        self.buffer: list[Counts] = []
        self.buffered = 0
        self.runs: list[Counts] = []

    def add(self, counts: Counts) -> None:
        self.buffer.append(counts)
        self.buffered += len(counts)
        if self.buffered >= self.buffer_rows:
            self.spill()

    def spill(self) -> None:
        """Merge the buffer into one sorted run on disk (memory-mapped back for the merge)."""
        if not self.buffer:
            return
        run = merge_counts(self.buffer)
        self.buffer, self.buffered = [], 0
        self.runs.append(write_run([run], self.scratch / f"{self.name}-run{len(self.runs)}"))

    def result(self, window_rows: int) -> Counts:
        """All counts, merged: in memory when nothing was spilled, else from the runs."""
        if not self.runs:
            return merge_counts(self.buffer)
        self.spill()
        return merge_sorted_runs(self.runs, window_rows)

    def result_on_disk(self, window_rows: int) -> Counts:
        """All counts, merged window by window into one more run on disk (memory-mapped):
        the merged counts are never all in memory."""
        self.spill()
        return write_run(merged_windows(self.runs, window_rows),
                         self.scratch / f"{self.name}-merged")


@dataclass(frozen=True)
class Budget:
    """How a memory budget is split between blocks, the counting buffer and merge windows."""

    block_tokens: int
    buffer_rows: int

    @classmethod
    def of(cls, memory_bytes: int, order: int) -> Budget:
        memory_bytes = working_bytes(memory_bytes)
        per_token = BYTES_PER_BLOCK_TOKEN + 8 * order
        return cls(block_tokens=max(MIN_BLOCK_TOKENS, memory_bytes // 4 // per_token),
                   buffer_rows=max(MIN_BUFFER_ROWS, memory_bytes // 2 // (4 * BYTES_PER_ROW)))

    def window_rows(self, runs: int) -> int:
        return max(1, self.buffer_rows // max(runs, 1))


class VocabularyBuilder:
    """Token -> id in first-appearance order (<unk>, <s>, </s> first), grown block by block."""

    def __init__(self) -> None:
        # A missing token gets the next id inside dict lookup (C), in order of appearance.
        self.index: dict[str, int] = defaultdict(itertools.count(len(SPECIAL_TOKENS)).__next__,
                                                 {t: i for i, t in enumerate(SPECIAL_TOKENS)})
        self.counts = np.zeros(len(SPECIAL_TOKENS), dtype=np.int64)

    def add_tokens(self, tokens: Sequence[str]) -> np.ndarray:
        """Ids of `tokens` (new ones numbered in order of appearance); counts them."""
        ids = np.fromiter(map(self.index.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        if len(self.index) > len(self.counts):
            self.counts = np.concatenate(
                (self.counts, np.zeros(len(self.index) - len(self.counts), dtype=np.int64)))
        self.counts += np.bincount(ids, minlength=len(self.counts))
        return ids

    def merge(self, other_counts: dict[str, int]) -> None:
        """Add another shard's {token: count} (in its first-appearance order)."""
        self.add_tokens(list(other_counts))
        ids = np.fromiter(map(self.index.__getitem__, other_counts), dtype=np.int64,
                          count=len(other_counts))
        self.counts[ids] += np.fromiter(other_counts.values(), dtype=np.int64,
                                        count=len(other_counts)) - 1

    def finish(self, unk_cutoff: int) -> tuple[list[str], np.ndarray]:
        """(vocabulary, new id of every raw id) with rare words mapped to <unk>."""
        if self.counts[BOS_ID] or self.counts[EOS_ID]:
            token = BOS if self.counts[BOS_ID] else EOS
            raise ValueError(
                f"the training sentences contain the reserved token {token!r}; sentence "
                "boundaries are added by the model, so remove it from the input"
            )
        keep = self.counts >= unk_cutoff
        keep[: len(SPECIAL_TOKENS)] = True
        require_a_kept_word(self.index, self.counts, keep, unk_cutoff)
        new_id = np.where(keep, np.cumsum(keep) - 1, UNK_ID).astype(np.int64)
        vocab = [token for token, kept in zip(self.index, keep.tolist()) if kept]
        return vocab, new_id


def padded_blocks(sentences: Iterable[Sequence[str]], block_tokens: int,
                  to_ids: Callable[[list[str]], np.ndarray]) -> Iterator[tuple[np.ndarray, int]]:
    """(padded ids `<s> w.. </s>`, sentences ended in it) of about `block_tokens` each (a
    block overshoots by one sentence or part at most); a str sentence is its characters;
    `to_ids` gives a block's tokens their ids (`VocabularyBuilder.add_tokens` when counting
    raw ids, a shard's final vocabulary on a cluster worker).

    A `sentences.ContinuedLine` goes on in the next item: no </s> after it, no <s> before
    the next, so a long line comes in parts and a block may start or end inside a sentence.
    Items are taken one at a time, never a batch ahead: a long line's parts are read only
    as they are counted."""
    flat: list[str] = []
    lengths: list[int] = []
    opens: list[bool] = []  # whether each item starts a sentence
    continued = False  # whether the last item taken goes on in the next
    for sentence in sentences:
        opens.append(not continued)
        continued = isinstance(sentence, ContinuedLine)
        flat.extend(sentence)  # a str: its characters
        lengths.append(len(sentence))
        if len(flat) + 2 * len(lengths) >= block_tokens:
            yield pad_parts(to_ids(flat), lengths, opens, continued)
            flat, lengths, opens = [], [], []
    if lengths:
        yield pad_parts(to_ids(flat), lengths, opens, continued)


def pad_parts(word_ids: np.ndarray, lengths: list[int], opens: list[bool],
               last_goes_on: bool) -> tuple[np.ndarray, int]:
    """(`<s>` before each item that opens a sentence, `</s>` after each that ends one, and
    the number ended): every item but the last ends where the next opens a sentence."""
    starts = np.asarray(opens, dtype=bool)
    ends = np.ones(len(lengths), dtype=bool)
    ends[:-1] = starts[1:]
    ends[-1] = not last_goes_on
    if starts.all() and ends.all():  # whole sentences: the usual case
        from seqlab.nlp.ngram.vocabulary import pad_sentences

        padded, _ = pad_sentences(word_ids, np.asarray(lengths, dtype=np.int64))
        return padded, len(lengths)
    sizes = np.asarray(lengths, dtype=np.int64) + starts + ends
    first = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    item_of = np.repeat(np.arange(len(sizes)), sizes)
    offset = np.arange(int(sizes.sum()), dtype=np.int64) - first[item_of]
    is_bos = starts[item_of] & (offset == 0)
    is_eos = ends[item_of] & (offset == sizes[item_of] - 1)
    padded = np.empty(len(offset), dtype=np.int64)
    padded[is_bos] = BOS_ID
    padded[is_eos] = EOS_ID
    padded[~(is_bos | is_eos)] = word_ids
    return padded, int(ends.sum())


def sentence_blocks(padded: np.ndarray, block_tokens: int) -> Iterator[slice]:
    """Slices of `padded` of `block_tokens` ids each (the last one: the rest), cut anywhere,
    inside a sentence too: `count_order` carries each block's last position and node into
    the next, so a sentence of any length is counted a block at a time."""
    block_tokens = max(1, block_tokens)
    for start in range(0, len(padded), block_tokens):
        yield slice(start, min(start + block_tokens, len(padded)))


def unigram_table(counts: np.ndarray) -> NgramTable:
    """The order-1 table of `counting.count_ngrams` from the unigram counts."""
    vocab_size = len(counts)
    words = np.arange(vocab_size, dtype=np.int64)
    return NgramTable(keys=words, counts=counts.astype(np.int64),
                      parent=np.zeros(vocab_size, dtype=np.int64), words=words,
                      suffix=np.full(vocab_size, -1, dtype=np.int64),
                      starts_with_bos=words == BOS_ID)


def table_of(counts: Counts, lower: NgramTable, vocab_size: int) -> NgramTable:
    """An order n >= 2 table of `counting.count_ngrams` from its merged counts."""
    parent = counts.keys // vocab_size
    return NgramTable(keys=counts.keys, counts=counts.counts, parent=parent,
                      words=counts.keys - parent * vocab_size, suffix=counts.suffix,
                      starts_with_bos=lower.starts_with_bos[parent])


def count_ngrams_external(
    sentences: Iterable[Sequence[str]], order: int, unk_cutoff: int = 1,
    memory_bytes: int = 1 << 30, scratch_dir: str | Path | None = None,
    stats: CountingStats | None = None,
) -> tuple[list[str], list[NgramTable]]:
    """(vocabulary, tables) exactly as `encode_corpus` + `count_ngrams`, in a memory budget.

    Scratch files (the padded ids and the sorted runs) live in a temporary folder under
    `scratch_dir` (default: the system's temporary folder) and are removed at the end.
    """
    with scratch_folder(scratch_dir) as folder:
        vocab, unigram_counts, higher = count_orders(sentences, order, unk_cutoff, memory_bytes,
                                                     Path(folder), stats, on_disk=False)
    tables = [unigram_table(unigram_counts)]
    for counts in higher:
        tables.append(table_of(counts, tables[-1], len(vocab)))
    return vocab, tables


def count_orders(
    sentences: Iterable[Sequence[str]], order: int, unk_cutoff: int, memory_bytes: int,
    scratch: Path, stats: CountingStats | None = None, on_disk: bool = True,
) -> tuple[list[str], np.ndarray, list[Counts]]:
    """(vocabulary, unigram counts, merged Counts of orders 2..`order`) in a memory budget.

    With `on_disk` the merged Counts are memory maps of files in `scratch` (which must outlive
    them); otherwise they are merged into memory.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    stats = stats if stats is not None else CountingStats()
    budget = Budget.of(memory_bytes, order)
    vocabulary = VocabularyBuilder()
    ids_path = scratch / "padded.u32"
    with open(ids_path, "wb") as stream:
        for block, n_sentences in padded_blocks(sentences, budget.block_tokens,
                                                 vocabulary.add_tokens):
            stream.write(np.ascontiguousarray(block, dtype=np.uint32).data)
            # <s> and </s> (raw ids 1, 2) of the sentences that open and end in the block
            stats.tokens += len(block) - int(np.count_nonzero((block == BOS_ID)
                                                              | (block == EOS_ID)))
            stats.sentences += n_sentences
    if stats.sentences == 0:
        raise ValueError("cannot fit an n-gram model on an empty corpus")
    vocab, new_id = vocabulary.finish(unk_cutoff)
    del vocabulary
    vocab_size = len(vocab)
    total = stats.tokens + 2 * stats.sentences
    if vocab_size * total >= 2**62:
        raise ValueError("corpus too large for 64-bit n-gram keys")
    padded = np.memmap(ids_path, dtype=np.uint32, mode="r", shape=(total,))
    pages = PageReleaser(padded)
    unigram_counts = np.zeros(vocab_size, dtype=np.int64)
    carried = 0  # position of the next block's first id (a block may start in a sentence)
    for part in sentence_blocks(padded, budget.block_tokens):
        ids = new_id[padded[part]]
        pages.advance(4 * len(ids))
        position = sentence_positions(ids, carried)
        carried = int(position[-1]) + 1
        unigram_counts += np.bincount(ids[position > 0], minlength=vocab_size)
    higher: list[Counts] = []
    previous: BlockNodes | None = None
    for n in range(2, order + 1):
        stats.enter(f"counting {n}-grams")
        merged, previous, stats.runs[n] = count_order(
            padded, new_id, n, vocab_size, previous, higher[-1].keys if higher else None,
            budget, scratch, last=n == order, on_disk=on_disk, on_phase=stats.enter)
        higher.append(merged)
    del padded
    ids_path.unlink(missing_ok=True)
    return vocab, unigram_counts, higher


def count_order(padded: np.ndarray, new_id: np.ndarray | None, n: int, vocab_size: int,
                previous: BlockNodes | None, lower_keys: np.ndarray | None, budget: Budget,
                scratch: Path, last: bool, on_disk: bool = True,
                on_phase: Callable[[str], None] | None = None,
                ) -> tuple[Counts, BlockNodes | None, int]:
    """One pass over padded sentences counting order `n` >= 2 within `budget`: (the merged
    Counts, each block's nodes kept on disk for order n + 1 (None when `last`), runs spilled).

    `padded` holds raw ids mapped by `new_id`, or final ids (`new_id` None); `previous` and
    `lower_keys` are order n - 1's block nodes and finished sorted keys (None for n = 2).
    Blocks are cut by `sentence_blocks(padded, budget.block_tokens)`, the same every pass,
    inside a sentence too (a line of any length is counted a block at a time).
    With `on_disk` the merged Counts are memory maps of files in `scratch`. `on_phase` hears
    'merging N-gram runs' when the order spilled runs to merge.
    """
    pages = PageReleaser(padded)
    counter = ExternalCounter(budget.buffer_rows, scratch, f"order{n}")
    nodes = None if last else BlockNodes(scratch, f"order{n}")
    parents = previous.rows(lower_keys) if previous is not None else None
    # each block after the first is read from one id before it (the context of its first
    # n-gram), whose position and order n-1 node the previous block leaves here
    last_position = last_node = None
    for part in sentence_blocks(padded, budget.block_tokens):
        first = 0 if part.start == 0 else 1
        view = slice(part.start - first, part.stop)
        ids = new_id[padded[view]] if new_id is not None else np.asarray(padded[view],
                                                                         dtype=np.int64)
        pages.advance(padded.itemsize * (len(ids) - first))
        if parents is None:
            parent_node = ids
        else:
            block_nodes = next(parents)
            parent_node = block_nodes if not first else np.concatenate(([last_node],
                                                                        block_nodes))
            last_node = int(block_nodes[-1])
        position = sentence_positions(ids, 0 if last_position is None else last_position)
        last_position = int(position[-1])
        counts, local = count_block(ids, position, parent_node, n, vocab_size, first)
        counter.add(counts)
        if nodes is not None:
            nodes.add(counts.keys, local)
    if parents is not None:
        for _ in parents:  # let the generator remove its files
            pass
    if nodes is not None:
        nodes.finish()
    window_rows = budget.window_rows(len(counter.runs) + 1)
    if counter.runs and on_phase is not None:
        on_phase(f"merging {n}-gram runs ({len(counter.runs)} spilled)")
    if on_disk and not counter.runs:  # never spilled: the buffer is the whole order
        merged = write_run([counter.result(window_rows)], scratch / f"order{n}-merged")
    elif on_disk:
        merged = counter.result_on_disk(window_rows)
        for run in counter.runs:  # the merged file holds them all now
            for part in ("keys", "counts", "suffix"):
                filename = getattr(getattr(run, part), "filename", None)
                if filename:
                    Path(filename).unlink(missing_ok=True)
    else:
        merged = counter.result(window_rows)
    return merged, nodes, len(counter.runs)
