"""Modified Kneser-Ney from counts on disk to an ARPA file in a fixed memory budget.

`count_orders` leaves each order's merged counts on disk, sorted by `key = parent * V + word`
(so by the n-gram's words, first word first). Each step below is a pass over such columns,
holding one block (or one chunk of a random-access source) at a time; no per-n-gram array is
ever whole in memory. The numbers are computed by the same NumPy operations, in the same
order within each context, as `KneserNey._estimate`, so the ARPA file is byte for byte the
in-memory path's.

1. adjusted counts of order n < N: how many distinct order-(n+1) n-grams have each n-gram as
   their suffix (`disk_arrays.scatter_count` over the order-(n+1) suffix column, in as many
   passes as chunks of order-n rows fit), raw counts for the contiguous rows that start
   with <s>;
2. discounts: counts of adjusted counts, one pass per order;
3. probabilities, order 1 up: the lower-order probability of every row (`disk_arrays.gather`
   by the suffix column), then blocks cut at context boundaries give each context's total and
   interpolation weight, the row's probability, and the context's backoff (a column of the
   order below, written in row order since the contexts come sorted);
4. the ARPA file: each order's words spelled from the order below's (its parents come sorted,
   so that is one more sequential pass) and written by `arpa_kernels.write_word_rows`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.autograd.atomic import atomic_write
from seqlab.autograd.mapped_pages import PageReleaser
from seqlab.nlp.ngram import arpa_kernels
from seqlab.nlp.ngram.arpa import (
    arpa_header,
    encode_vocab,
    log10_values,
    python_line,
    write_buffer,
)
from seqlab.nlp.ngram.base import log_backoff_weights
from seqlab.nlp.ngram.disk_arrays import ColumnWriter, gather, read, row_blocks, scatter_count
from seqlab.nlp.ngram.external import (
    CountingStats,
    Counts,
    count_orders,
    table_of,
    unigram_table,
    working_bytes,
)
from seqlab.nlp.ngram.kneser_ney import KneserNey, discounts_from_count_of_counts
from seqlab.nlp.ngram.scratch import scratch_folder
from seqlab.nlp.ngram.sentences import training_sentences
from seqlab.nlp.ngram.vocabulary import BOS_ID

# Bytes of working memory per row of a block (a dozen int64/float64 columns and temporaries).
BYTES_PER_BLOCK_ROW = 160
MIN_BLOCK_ROWS = 64


@dataclass
class StreamedResult:
    """What `train_kneser_ney_arpa` did: vocabulary size, n-grams per order, discounts."""

    vocab_size: int
    counts: list[int]
    discounts: list[list[float]]
    streamed: bool
    stats: CountingStats = field(default_factory=CountingStats)


@dataclass(frozen=True)
class Plan:
    """How the budget is split: rows per block, bytes of the chunk of target (or source) rows
    a random-access pass holds. The passes never hold both: a gather or scatter pass reads
    only an index block (plus an output block) beside its chunk, so the chunk takes over half
    the budget, and an order of 130M rows is one pass in 2 GB."""

    block_rows: int
    chunk_bytes: int

    @classmethod
    def of(cls, memory_bytes: int) -> Plan:
        memory_bytes = working_bytes(memory_bytes)
        return cls(block_rows=max(MIN_BLOCK_ROWS, memory_bytes // 2 // BYTES_PER_BLOCK_ROW),
                   chunk_bytes=max(8 * MIN_BLOCK_ROWS, memory_bytes * 5 // 8))

    @property
    def chunk_rows(self) -> int:
        """Source rows of float64 (or int64) a random-access chunk holds."""
        return self.chunk_bytes // 8


def train_kneser_ney_arpa(
    sentences: Iterable[Sequence[str]], order: int, path: str | Path, memory_bytes: int,
    unk_cutoff: int = 1, scratch_dir: str | Path | None = None, stream: bool = True,
    stats: CountingStats | None = None, tokenization: dict | None = None,
) -> StreamedResult:
    """Count `sentences`, estimate modified Kneser-Ney and write the ARPA file `path`, in
    about `memory_bytes` of working memory (as `lmplz -S`); the file is `KneserNey(order,
    unk_cutoff).fit(sentences).save_arpa(path)`'s, byte for byte.

    The estimate streams over files in a temporary folder under `scratch_dir`; `stream=False`
    estimates in memory instead (`KneserNey.fit_counts`; about 120 bytes per n-gram at the
    peak, whatever the budget). Streaming is no slower even when the model fits: 8.96 vs 9.66
    CPU seconds on 10 MB, 12.2-15.2 vs 15.4 on 20 MB (order 5, BENCHMARKS.md).
    `tokenization` (how `sentences` were tokenized) goes into the file's mark line (`mark`).
    One str is one sentence split on whitespace, as `fit` takes it (and lmplz reads text).
    """
    stats = stats if stats is not None else CountingStats()
    with scratch_folder(scratch_dir) as folder:
        scratch = Path(folder)
        vocab, unigram_counts, higher = count_orders(training_sentences(sentences), order,
                                                     unk_cutoff, memory_bytes, scratch, stats,
                                                     on_disk=True)
        result = write_kneser_ney_arpa(vocab, unigram_counts, higher, path, memory_bytes,
                                       scratch, stream, unk_cutoff, tokenization,
                                       on_phase=stats.enter)
    result.stats = stats
    return result


def write_kneser_ney_arpa(
    vocab: list[str], unigram_counts: np.ndarray, higher: list[Counts], path: str | Path,
    memory_bytes: int, scratch: Path, stream: bool = True, unk_cutoff: int = 1,
    tokenization: dict | None = None, on_phase: Callable[[str], None] | None = None,
) -> StreamedResult:
    """Estimate modified Kneser-Ney from merged counts (`count_orders`'s, on disk or in memory)
    and write the ARPA file: streamed over files in `scratch` within `memory_bytes`, or (not
    `stream`) in memory. `on_phase` hears 'estimating' and 'writing N n-grams' as each starts."""
    on_phase = on_phase if on_phase is not None else (lambda phase: None)
    on_phase("estimating")
    rows = [len(vocab)] + [len(c) for c in higher]
    if not stream:
        tables = [unigram_table(unigram_counts)]
        for counts in higher:
            columns = [getattr(counts, part) for part in ("keys", "counts", "suffix")]
            in_memory = Counts(*(np.array(column) for column in columns))
            PageReleaser(*columns).release()  # the file's pages: a copy of what is now held
            tables.append(table_of(in_memory, tables[-1], len(vocab)))
        model = KneserNey(len(rows), unk_cutoff).fit_counts(vocab, tables)
        model.tokenization = tokenization
        del tables
        on_phase(f"writing {sum(rows):,} n-grams")
        model.save_arpa(path)
        return StreamedResult(len(vocab), model.counts, model.discounts, False)
    estimate = StreamedEstimate(scratch, len(vocab), unigram_counts, higher,
                                Plan.of(memory_bytes))
    estimate.run()
    for counts in higher:  # the writer needs the keys only: give the disk space back
        _remove(counts.counts)
        _remove(counts.suffix)
    on_phase(f"writing {sum(rows):,} n-grams")
    write_arpa_streamed(path, vocab, higher, estimate.log10prob, estimate.log10backoff,
                        scratch, estimate.plan, tokenization)
    return StreamedResult(len(vocab), rows, estimate.discounts, True)


class StreamedEstimate:
    """Steps 1-3 of the module docs: log10 probability and backoff columns of every order."""

    def __init__(self, scratch: Path, vocab_size: int, unigram_counts: np.ndarray,
                 higher: list[Counts], plan: Plan) -> None:
        self.scratch, self.vocab_size, self.plan = scratch, vocab_size, plan
        self.unigram_counts = unigram_counts
        self.higher = higher
        self.order = len(higher) + 1
        self.rows = [vocab_size] + [len(c) for c in higher]
        self.discounts: list[list[float]] = []
        self.log10prob: list[np.ndarray] = []
        self.log10backoff: list[np.ndarray] = []

    def keys(self, n: int) -> np.ndarray:
        """Sorted keys of order n (1-based)."""
        return np.arange(self.vocab_size, dtype=np.int64) if n == 1 else self.higher[n - 2].keys

    def raw_counts(self, n: int) -> np.ndarray:
        return self.unigram_counts if n == 1 else self.higher[n - 2].counts

    def bos_rows(self) -> list[tuple[int, int]]:
        """Per order, the contiguous rows [low, high) of the n-grams that start with <s>."""
        ranges = [(BOS_ID, BOS_ID + 1)]
        for n in range(2, self.order + 1):
            keys, (low, high) = self.keys(n), ranges[-1]
            ranges.append((int(np.searchsorted(keys, low * self.vocab_size)),
                           int(np.searchsorted(keys, high * self.vocab_size))))
        return ranges

    def adjusted_counts(self, n: int, bos: tuple[int, int]) -> np.ndarray:
        """Kneser-Ney adjusted counts of order n (a column on disk, or in memory for n = 1)."""
        if n == self.order:
            return self.raw_counts(n)
        adjusted = scatter_count(self.higher[n - 1].suffix, self.rows[n - 1],
                                 self.plan.chunk_bytes, self.plan.block_rows,
                                 self.scratch / f"adjusted{n}.i64")
        low, high = bos  # n-grams that start with <s> keep their raw counts
        if high > low:
            raw_counts = self.raw_counts(n)
            if n == 1:
                in_memory = np.array(adjusted)
                _remove(adjusted)
                adjusted = in_memory
                adjusted[low:high] = raw_counts[low:high]
            else:  # a block at a time, written through the file (no dirty mapped pages):
                # there can be one such row per sentence
                pages = PageReleaser(raw_counts)
                with open(adjusted.filename, "r+b") as column:
                    column.seek(low * adjusted.itemsize)
                    for start, stop in row_blocks(high - low, self.plan.block_rows):
                        column.write(read(raw_counts, low + start, low + stop, pages)
                                     .astype(np.int64).tobytes())
        return adjusted

    def discounts_of(self, adjusted: np.ndarray) -> np.ndarray:
        """[0, D1, D2, D3+] from one pass over an order's adjusted counts."""
        count_of_counts = np.zeros(6, dtype=np.int64)
        pages = PageReleaser(adjusted)
        for start, stop in row_blocks(len(adjusted), self.plan.block_rows):
            block = read(adjusted, start, stop, pages)
            count_of_counts += np.bincount(np.minimum(block, 5), minlength=6)
        return discounts_from_count_of_counts(count_of_counts[:5].astype(np.float64))

    def context_blocks(self, n: int) -> list[tuple[int, int]]:
        """Blocks of about `block_rows` rows of order n that hold whole contexts."""
        if n == 1:
            return [(0, self.rows[0])]
        keys, total = self.keys(n), self.rows[n - 1]
        blocks, start = [], 0
        while start < total:
            stop = min(start + self.plan.block_rows, total)
            if stop < total:
                parent = int(keys[stop - 1]) // self.vocab_size
                stop = int(np.searchsorted(keys, (parent + 1) * self.vocab_size))
            blocks.append((start, stop))
            start = stop
        return blocks

    def run(self) -> None:
        """Compute every order's columns (the module docs' steps 1-3)."""
        bos = self.bos_rows()
        lower_prob: np.ndarray | None = None
        for n in range(1, self.order + 1):
            adjusted = self.adjusted_counts(n, bos[n - 1])
            discount_of = self.discounts_of(adjusted)
            self.discounts.append(discount_of[1:].tolist())
            if n == 1:
                lower = np.full(self.rows[0], 1.0 / (self.vocab_size - 1))
            else:
                lower = gather(lower_prob, self.higher[n - 2].suffix, self.plan.chunk_bytes,
                               self.plan.block_rows, self.scratch / f"lower{n}.f64")
                _remove(lower_prob)
            lower_prob = self.probabilities(n, adjusted, discount_of, lower)
            _remove(lower)
            if n < self.order:
                _remove(adjusted)
        self.log10backoff.append(np.zeros(0))  # the highest order has no backoffs
        _remove(lower_prob)

    def probabilities(self, n: int, adjusted: np.ndarray, discount_of: np.ndarray,
                      lower: np.ndarray) -> np.ndarray:
        """Order n's probabilities (kept for order n + 1), its log10 probabilities and the
        log10 backoffs of order n - 1, block by block (as `KneserNey._estimate`)."""
        keys = self.keys(n)
        log10prob = ColumnWriter(self.scratch / f"log10prob{n}.f64", np.float64)
        prob_out = ColumnWriter(self.scratch / f"prob{n}.f64", np.float64) \
            if n < self.order else None
        backoff = ColumnWriter(self.scratch / f"log10backoff{n - 1}.f64", np.float64) \
            if n > 1 else None
        pages = PageReleaser(keys, adjusted, lower)
        for start, stop in self.context_blocks(n):
            counts = read(adjusted, start, stop, pages)
            if n == 1:
                local, first, n_contexts = np.zeros(stop - start, dtype=np.int64), 0, 1
            else:
                parent = read(keys, start, stop, pages) // self.vocab_size
                first = int(parent[0])
                local = parent - first
                n_contexts = int(local[-1]) + 1
            discount = discount_of[np.minimum(counts, 3)]
            denominator = np.bincount(local, weights=counts.astype(np.float64),
                                      minlength=n_contexts)
            gamma = np.zeros(n_contexts)
            np.divide(np.bincount(local, weights=discount, minlength=n_contexts), denominator,
                      out=gamma, where=denominator > 0)
            prob = (counts - discount) / denominator[local] + gamma[local] * \
                read(lower, start, stop, pages)
            if n == 1:
                prob[BOS_ID] = 0.0
            else:
                backoff.write(np.zeros(first - backoff.rows))  # contexts with no n-grams
                backoff.write(log10_values(log_backoff_weights(gamma, denominator > 0)))
            with np.errstate(divide="ignore"):
                log10prob.write(log10_values(np.log(prob)))
            if prob_out is not None:
                prob_out.write(prob)
        if backoff is not None:
            backoff.write(np.zeros(self.rows[n - 2] - backoff.rows))
            self.log10backoff.append(backoff.finish())
        self.log10prob.append(log10prob.finish())
        return prob_out.finish() if prob_out is not None else np.zeros(0)


def _remove(column: np.ndarray | None) -> None:
    """Delete the file behind a column on disk (the map stays readable until dropped)."""
    if isinstance(column, np.memmap) and column.filename:
        Path(column.filename).unlink(missing_ok=True)


def write_arpa_streamed(path: str | Path, vocab: Sequence[str], higher: Sequence[Counts],
                        log10prob: Sequence[np.ndarray], log10backoff: Sequence[np.ndarray],
                        scratch: Path, plan: Plan, tokenization: dict | None = None) -> None:
    """Step 4 of the module docs: the ARPA file of the columns, order by order, block by block
    (the same bytes as `arpa.write_arpa` of the same values)."""
    vocab_size, order = len(vocab), len(higher) + 1
    vocab_text, vocab_offsets = encode_vocab(vocab)
    buffer = write_buffer(vocab_offsets, order)
    word_dtype = np.uint32 if vocab_size < 2**32 else np.int64
    with atomic_write(path, "wb") as file:
        file.write(arpa_header([vocab_size] + [len(c) for c in higher], tokenization))
        lower_words: np.ndarray = np.arange(vocab_size, dtype=word_dtype).reshape(-1, 1)
        for n in range(1, order + 1):
            file.write(f"\n\\{n}-grams:\n".encode())
            with_backoff = n < order
            keys = higher[n - 2].keys if n > 1 else None
            spelled = ColumnWriter(scratch / f"words{n}.ids", word_dtype, n) \
                if 1 < n < order else None
            pages = PageReleaser(*(a for a in (keys, lower_words, log10prob[n - 1],
                                               log10backoff[n - 1]) if a is not None))
            for start, stop in row_blocks(len(log10prob[n - 1]), plan.block_rows // 2):
                if n == 1:
                    words = lower_words[start:stop]
                else:
                    block_keys = read(keys, start, stop, pages)
                    parent = block_keys // vocab_size
                    first = int(parent[0])
                    context = read(lower_words, first, int(parent[-1]) + 1, pages)
                    words = np.empty((stop - start, n), dtype=word_dtype)
                    words[:, :-1] = context[parent - first]
                    words[:, -1] = block_keys - parent * vocab_size
                    if spelled is not None:
                        spelled.write(words)
                probs = read(log10prob[n - 1], start, stop, pages)
                backoffs = read(log10backoff[n - 1], start, stop, pages) if with_backoff \
                    else probs
                _write_block(file, words, probs, backoffs, with_backoff, vocab, vocab_text,
                             vocab_offsets, buffer)
            if n > 1:
                _remove(lower_words)
            if spelled is not None:
                lower_words = spelled.finish()
        file.write(b"\n\\end\\\n")


def _write_block(file, words: np.ndarray, probs: np.ndarray, backoffs: np.ndarray,
                 with_backoff: bool, vocab: Sequence[str], vocab_text: np.ndarray,
                 vocab_offsets: np.ndarray, buffer: np.ndarray) -> None:
    """Write one block of spelled rows (Python writes the rows the kernel cannot)."""
    row = 0
    while row < len(words):
        used, row, status = arpa_kernels.write_word_rows(
            words, row, probs, backoffs, with_backoff, vocab_text, vocab_offsets, buffer)
        file.write(buffer[:used].data)
        if status == arpa_kernels.UNWRITABLE:
            file.write(python_line([vocab[w] for w in words[row].tolist()], probs[row],
                                   backoffs[row] if with_backoff else None))
            row += 1
