"""N-gram counting on a Dask cluster: files sharded across workers, counted by the same block
kernels as one machine, sorted counts merged window by window on the client; the same
tables, the same ARPA.

Rounds, each a map over the shards (contiguous groups of files, in reading order):
1. vocabulary: each worker returns its shard's {token: count} in first-appearance order; the
   client merges them in shard order, which is the order one process reading the files sees;
2. unigrams: each worker returns its shard's count of every id; the client adds them;
3. for n = 2 .. N: each worker tokenizes its shard again, counts order n against the finished
   lower tables (broadcast to every worker once per round) in its own memory budget, spilling
   sorted runs to its local disk and merging them there into one sorted run; the client then
   merges the shards' runs in a streaming k-way merge, fetching one window of each at a time,
   into sorted files on its disk, so its working memory is the budget whatever the number
   and size of the shards;
4. Kneser-Ney to ARPA (`train_kneser_ney_arpa_dask`): the client estimates from those files
   exactly as one machine does (`streamed`), within the same budget.

Needs the optional extra `seqlab-nlp[distributed]` (Dask distributed); nothing else does.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.nlp.ngram.counting import NgramTable
from seqlab.nlp.ngram.external import (
    Budget,
    Counts,
    ExternalCounter,
    VocabularyBuilder,
    count_block,
    lookup_nodes,
    merged_windows,
    sentence_positions,
    table_of,
    unigram_table,
    write_run,
)
from seqlab.nlp.ngram.sentences import LineTokens, file_sentences
from seqlab.nlp.ngram.vocabulary import pad_sentences


def connect(cluster: str):
    """A dask.distributed Client: `local:N` starts a LocalCluster of N worker processes,
    anything else is a scheduler address (tcp://host:8786)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:
        raise ImportError("n-gram counting on a cluster needs Dask: "
                          "pip install 'seqlab-nlp[distributed]'") from error
    if cluster.startswith("local:"):
        count = cluster.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"--cluster local:N needs a worker count N >= 1, got {cluster!r}")
        local = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                             dashboard_address=None)
        return Client(local)
    return Client(cluster, timeout="15s")


def shard_files(paths: Sequence[Path], shards: int) -> list[list[str]]:
    """Contiguous groups of files, about equal in bytes, in reading order (none empty)."""
    sizes = np.array([max(Path(p).stat().st_size, 1) for p in paths], dtype=np.float64)
    bounds = np.cumsum(sizes) / sizes.sum() * shards
    groups: list[list[str]] = [[] for _ in range(shards)]
    for path, bound in zip(paths, bounds):
        groups[min(int(np.ceil(bound)) - 1, shards - 1)].append(str(path))
    return [group for group in groups if group]


def shard_vocabulary(paths: list[str], line_tokens: LineTokens) -> tuple[dict[str, int], int]:
    """({token: count} in first-appearance order, sentence count) of one shard."""
    counts: dict[str, int] = {}
    sentences = 0
    for tokens in file_sentences(paths, line_tokens):
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        sentences += 1
    return counts, sentences


def _padded_blocks(paths: list[str], line_tokens: LineTokens, mapping: dict[str, int],
                   block_tokens: int) -> Iterator[np.ndarray]:
    flat: list[str] = []
    lengths: list[int] = []

    def padded() -> np.ndarray:
        ids = np.fromiter(map(mapping.__getitem__, flat), dtype=np.int64, count=len(flat))
        return pad_sentences(ids, np.asarray(lengths, dtype=np.int64))[0]

    for tokens in file_sentences(paths, line_tokens):
        flat.extend(tokens)
        lengths.append(len(tokens))
        if len(flat) + 2 * len(lengths) >= block_tokens:
            yield padded()
            flat, lengths = [], []
    if lengths:
        yield padded()


def shard_unigrams(paths: list[str], line_tokens: LineTokens, mapping: dict[str, int],
                   vocab_size: int, memory_bytes: int) -> np.ndarray:
    """Count of every id of one shard (the order-1 round)."""
    budget = Budget.of(memory_bytes, 1)
    counts = np.zeros(vocab_size, dtype=np.int64)
    for ids in _padded_blocks(paths, line_tokens, mapping, budget.block_tokens):
        counts += np.bincount(ids[sentence_positions(ids) > 0], minlength=vocab_size)
    return counts


@dataclass
class ShardRun:
    """One shard's sorted counts of one order, kept on the worker that counted them, in a
    folder on its local disk (memory-mapped); the client reads it a window at a time."""

    folder: str
    counts: Counts
    spilled: int

    def __len__(self) -> int:
        return len(self.counts)


def shard_counts(paths: list[str], line_tokens: LineTokens, mapping: dict[str, int],
                 lower_keys: list[np.ndarray], order: int, vocab_size: int,
                 memory_bytes: int) -> ShardRun:
    """Sorted order-`order` counts (order >= 2) of one shard, counted in `memory_bytes` and
    merged to the worker's disk (never all in its memory)."""
    budget = Budget.of(memory_bytes, order)
    folder = tempfile.mkdtemp(prefix="seqlab-ngram-shard-")
    try:
        counter = ExternalCounter(budget.buffer_rows, Path(folder), f"order{order}")
        for ids in _padded_blocks(paths, line_tokens, mapping, budget.block_tokens):
            position = sentence_positions(ids)
            parent_node = lookup_nodes(ids, position, lower_keys, order - 1, vocab_size)
            counter.add(count_block(ids, position, parent_node, order, vocab_size)[0])
        spilled = len(counter.runs)
        merged = counter.result_on_disk(budget.window_rows(len(counter.runs) + 1))
        for run in counter.runs:  # the merged run replaces them
            for array in (run.keys, run.counts, run.suffix):
                if isinstance(array, np.memmap):
                    Path(array.filename).unlink(missing_ok=True)
        return ShardRun(folder, merged, spilled)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def shard_window(shard: ShardRun, start: int, stop: int) -> Counts:
    """Rows start..stop of a shard's counts, as plain arrays (what travels to the client)."""
    return Counts(np.array(shard.counts.keys[start:stop]),
                  np.array(shard.counts.counts[start:stop]),
                  np.array(shard.counts.suffix[start:stop]))


def shard_summary(shard: ShardRun) -> tuple[int, int, str]:
    """(rows, runs spilled, folder) of a shard's counts."""
    return len(shard), shard.spilled, shard.folder


def remove_shard(shard: ShardRun) -> None:
    """Delete a shard's counts from its worker's disk."""
    shutil.rmtree(shard.folder, ignore_errors=True)


class RemoteRun:
    """A shard's sorted counts on a worker, read by the client a window at a time."""

    def __init__(self, client, future, length: int, stats: ClusterStats, order: int) -> None:
        self.client, self.future, self.length = client, future, length
        self.stats, self.order = stats, order

    def __len__(self) -> int:
        return self.length

    def window(self, start: int, stop: int) -> Counts:
        self.stats.windows[self.order] = self.stats.windows.get(self.order, 0) + 1
        self.stats.largest_window = max(self.stats.largest_window, stop - start)
        return self.client.submit(shard_window, self.future, start, stop, pure=False).result()


@dataclass
class ClusterStats:
    """What the cluster did, per order: runs the workers spilled, windows the client read."""

    runs: dict[int, int] = field(default_factory=dict)
    windows: dict[int, int] = field(default_factory=dict)
    largest_window: int = 0
    folders: list[str] = field(default_factory=list)


def count_orders_dask(client, paths: Sequence[str | Path], line_tokens: LineTokens, order: int,
                      unk_cutoff: int, memory_bytes: int, scratch: Path,
                      shards: int | None = None, stats: ClusterStats | None = None,
                      ) -> tuple[list[str], np.ndarray, list[Counts]]:
    """(vocabulary, unigram counts, merged Counts of orders 2..`order`) of the sentences of
    `paths` counted on a Dask cluster: what `external.count_orders(on_disk=True)` gives on
    one machine. The client streams each order's k-way merge of the shards' runs (a window
    of each at a time) into sorted files in `scratch`, memory-mapped back, so it never holds
    the merged counts; it reads the orders below's keys to broadcast them to the workers,
    which count against them."""
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    stats = stats if stats is not None else ClusterStats()
    if shards is None:
        shards = max(1, len(client.scheduler_info()["workers"]))
    groups = shard_files([Path(p) for p in paths], shards)
    vocabularies = client.gather(client.map(shard_vocabulary, groups,
                                            line_tokens=line_tokens, pure=False))
    builder = VocabularyBuilder()
    if sum(sentences for _, sentences in vocabularies) == 0:
        raise ValueError("cannot fit an n-gram model on an empty corpus")
    for counts, _ in vocabularies:
        builder.merge(counts)
    del vocabularies
    vocab, new_id = builder.finish(unk_cutoff)
    vocab_size = len(vocab)
    mapping = dict(zip(builder.index, new_id.tolist()))
    del builder
    [mapping_future] = client.scatter([mapping], broadcast=True)
    unigrams = client.gather(client.map(shard_unigrams, groups, line_tokens=line_tokens,
                                        mapping=mapping_future, vocab_size=vocab_size,
                                        memory_bytes=memory_bytes, pure=False))
    unigram_counts = np.sum(unigrams, axis=0)
    higher: list[Counts] = []
    for n in range(2, order + 1):
        lower_keys = [np.arange(vocab_size, dtype=np.int64)] + \
            [np.asarray(counts.keys) for counts in higher]
        [lower_future] = client.scatter([lower_keys], broadcast=True)
        del lower_keys
        futures = client.map(shard_counts, groups, line_tokens=line_tokens,
                             mapping=mapping_future, lower_keys=lower_future, order=n,
                             vocab_size=vocab_size, memory_bytes=memory_bytes, pure=False)
        try:
            summaries = client.gather(client.map(shard_summary, futures, pure=False))
            stats.runs[n] = sum(spilled for _, spilled, _ in summaries)
            stats.folders += [folder for _, _, folder in summaries]
            runs = [RemoteRun(client, future, rows, stats, n)
                    for future, (rows, _, _) in zip(futures, summaries)]
            window_rows = Budget.of(memory_bytes, n).window_rows(len(runs))
            higher.append(write_run(merged_windows(runs, window_rows),
                                    scratch / f"order{n}-merged"))
        finally:
            client.gather(client.map(remove_shard, futures, pure=False))
        client.cancel([lower_future])
    return vocab, unigram_counts, higher


def count_ngrams_dask(client, paths: Sequence[str | Path], line_tokens: LineTokens, order: int,
                      unk_cutoff: int = 1, memory_bytes: int = 1 << 30,
                      shards: int | None = None,
                      stats: ClusterStats | None = None) -> tuple[list[str], list[NgramTable]]:
    """(vocabulary, tables) of the sentences of `paths` counted on a Dask cluster; exactly
    what one process gives (`count_ngrams_external` of `file_sentences(paths, line_tokens)`).

    The merged counts go through files in a temporary folder (`count_orders_dask`) and are
    then read into the tables, which the in-memory smoothing methods need whole.
    """
    with tempfile.TemporaryDirectory(prefix="seqlab-ngram-") as folder:
        vocab, unigram_counts, higher = count_orders_dask(
            client, paths, line_tokens, order, unk_cutoff, memory_bytes, Path(folder),
            shards, stats)
        tables: list[NgramTable] = [unigram_table(unigram_counts)]
        for counts in higher:
            in_memory = Counts(*(np.array(getattr(counts, part))
                                 for part in ("keys", "counts", "suffix")))
            tables.append(table_of(in_memory, tables[-1], len(vocab)))
        del higher
    return vocab, tables


def train_kneser_ney_arpa_dask(client, paths: Sequence[str | Path], line_tokens: LineTokens,
                               order: int, path: str | Path, memory_bytes: int,
                               unk_cutoff: int = 1, scratch_dir: str | Path | None = None,
                               shards: int | None = None, stats: ClusterStats | None = None):
    """Count `paths` on a Dask cluster and write the modified Kneser-Ney ARPA file `path`,
    estimated on the client from the merged counts on disk within `memory_bytes` (as
    `streamed.train_kneser_ney_arpa` on one machine; the same file). Scratch files live in a
    temporary folder under `scratch_dir`. Returns `streamed.StreamedResult`, its `stats`
    holding the corpus's token and sentence counts."""
    from seqlab.nlp.ngram.streamed import write_kneser_ney_arpa
    from seqlab.nlp.ngram.vocabulary import EOS_ID

    with tempfile.TemporaryDirectory(prefix="seqlab-ngram-", dir=scratch_dir) as folder:
        vocab, unigram_counts, higher = count_orders_dask(
            client, paths, line_tokens, order, unk_cutoff, memory_bytes, Path(folder),
            shards, stats)
        result = write_kneser_ney_arpa(vocab, unigram_counts, higher, path, memory_bytes,
                                       Path(folder), unk_cutoff=unk_cutoff)
    result.stats.sentences = int(unigram_counts[EOS_ID])
    result.stats.tokens = int(unigram_counts.sum()) - result.stats.sentences
    return result
