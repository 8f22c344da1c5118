"""N-gram counting on a Dask cluster: files sharded across workers, counted by the same block
kernels as one machine, sorted counts merged on the client; the same tables, the same ARPA.

Rounds, each a map over the shards (contiguous groups of files, in reading order):
1. vocabulary: each worker returns its shard's {token: count} in first-appearance order; the
   client merges them in shard order, which is the order one process reading the files sees;
2. for n = 1 .. N: each worker tokenizes its shard again, counts order n against the finished
   lower tables (broadcast to every worker once per round) in its own memory budget, spilling
   sorted runs to its local disk, and returns its sorted counts; the client merges them.

Needs the optional extra `seqlab-nlp[distributed]` (Dask distributed); nothing else does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
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
    merge_sorted_runs,
    sentence_positions,
    table_of,
    unigram_table,
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


def shard_counts(paths: list[str], line_tokens: LineTokens, mapping: dict[str, int],
                 lower_keys: list[np.ndarray], order: int, vocab_size: int,
                 memory_bytes: int) -> Counts:
    """Sorted order-`order` counts of one shard (order 1: counts of every id, as keys 0..V-1)."""
    budget = Budget.of(memory_bytes, order)
    if order == 1:
        counts = np.zeros(vocab_size, dtype=np.int64)
        for ids in _padded_blocks(paths, line_tokens, mapping, budget.block_tokens):
            counts += np.bincount(ids[sentence_positions(ids) > 0], minlength=vocab_size)
        keys = np.arange(vocab_size, dtype=np.int64)
        return Counts(keys, counts, np.full(vocab_size, -1, dtype=np.int64))
    with tempfile.TemporaryDirectory(prefix="seqlab-ngram-shard-") as folder:
        counter = ExternalCounter(budget.buffer_rows, Path(folder), f"order{order}")
        for ids in _padded_blocks(paths, line_tokens, mapping, budget.block_tokens):
            position = sentence_positions(ids)
            parent_node = lookup_nodes(ids, position, lower_keys, order - 1, vocab_size)
            counter.add(count_block(ids, position, parent_node, order, vocab_size)[0])
        result = counter.result(budget.window_rows(len(counter.runs) + 1))
        return Counts(np.array(result.keys), np.array(result.counts), np.array(result.suffix))


def count_ngrams_dask(client, paths: Sequence[str | Path], line_tokens: LineTokens, order: int,
                      unk_cutoff: int = 1, memory_bytes: int = 1 << 30,
                      shards: int | None = None) -> tuple[list[str], list[NgramTable]]:
    """(vocabulary, tables) of the sentences of `paths` counted on a Dask cluster; exactly
    what one process gives (`count_ngrams_external` of `file_sentences(paths, line_tokens)`)."""
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
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
    vocab, new_id = builder.finish(unk_cutoff)
    vocab_size = len(vocab)
    mapping = dict(zip(builder.index, new_id.tolist()))
    [mapping_future] = client.scatter([mapping], broadcast=True)
    tables: list[NgramTable] = []
    for n in range(1, order + 1):
        [lower_future] = client.scatter([[table.keys for table in tables]], broadcast=True)
        futures = client.map(shard_counts, groups, line_tokens=line_tokens,
                             mapping=mapping_future, lower_keys=lower_future, order=n,
                             vocab_size=vocab_size, memory_bytes=memory_bytes, pure=False)
        parts = client.gather(futures)
        if n == 1:
            tables.append(unigram_table(np.sum([part.counts for part in parts], axis=0)))
        else:
            merged = merge_sorted_runs(parts, Budget.of(memory_bytes, n).window_rows(len(parts)))
            tables.append(table_of(merged, tables[-1], vocab_size))
    return vocab, tables
