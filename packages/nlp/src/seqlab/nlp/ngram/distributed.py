"""N-gram counting on a Dask cluster: the corpus sharded across workers, counted by the same
block kernels as one machine, sorted counts merged window by window on the client; the same
tables, the same ARPA.

Rounds, each a map over the shards (contiguous byte ranges of the files, about equal in bytes,
cut just after a newline, in reading order: N workers share even one file; `shard_ranges`):
1. vocabulary: each worker returns its shard's {token: count} in first-appearance order; the
   client merges them in shard order, which is the order one process reading the files sees;
2. unigrams: each worker tokenizes its shard once into padded final ids on its local disk
   (what one machine keeps in its scratch folder) and returns the count of every id;
3. for n = 2 .. N: each worker counts order n by one machine's pass over its ids
   (`external.count_order`, in its own memory budget, spilling sorted runs to its disk and
   merging them there), finding each position's parent in the keys of order n - 1, which the
   client sends to the workers' disks a window at a time; the client then merges the shards'
   runs in a streaming k-way merge, fetching one window of each at a time, into sorted files
   on its disk. No process holds an order's keys whole: every one works within the budget
   whatever the number and size of the shards;
4. Kneser-Ney to ARPA (`train_kneser_ney_arpa_dask`): the client estimates from those files
   exactly as one machine does (`streamed`), within the same budget.

Every wait goes through `cluster_watch.ShardWatch`, so that a worker lost mid-run is one
clear error, never a hang. Needs the optional extra `seqlab-nlp[distributed]` (Dask
distributed); nothing else does.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from seqlab.autograd.mapped_pages import PageReleaser
from seqlab.nlp.corpora import FileRange
from seqlab.nlp.ngram.cluster_watch import (
    ShardTaskError,
    ShardWatch,
    WorkerLostError,
    describe_shard,
)
from seqlab.nlp.ngram.counting import NgramTable
from seqlab.nlp.ngram.external import (
    BlockNodes,
    Budget,
    Counts,
    VocabularyBuilder,
    count_order,
    merged_windows,
    padded_blocks,
    sentence_positions,
    table_of,
    unigram_table,
    write_run,
)
from seqlab.nlp.ngram.scratch import scratch_folder
from seqlab.nlp.ngram.sentences import ContinuedLine, LineTokens, file_sentences

# How long `connect` tries to reach a scheduler before giving up.
CONNECT_TIMEOUT_SECONDS = 15
# `local:N` starts N processes on this machine: at most this many per CPU.
MAX_LOCAL_WORKERS_PER_CPU = 4


def connect(cluster: str, quiet: bool = False):
    """A dask.distributed Client: `local:N` starts a LocalCluster of N worker processes,
    anything else is a scheduler address (tcp://host:8786), given up on after
    `CONNECT_TIMEOUT_SECONDS`. Its workers make the process-wide requests this process made
    (`worker_setup`: a `seqlab` command's Numba cache saves under a lock). `quiet` keeps the
    local cluster's own log lines (workers restarted, tasks failed) off stderr: what goes
    wrong reaches the caller as an exception.

    Raises ValueError for a spec that is neither, OSError when no scheduler answers or the
    local workers cannot start; messages say what to do, without repeating `cluster`."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:
        raise ImportError("n-gram counting on a cluster needs Dask: "
                          "pip install 'seqlab-nlp[distributed]'") from error
    if cluster.startswith("local:"):
        count = cluster.removeprefix("local:")
        most = MAX_LOCAL_WORKERS_PER_CPU * (os.cpu_count() or 1)
        if not count.isdigit() or not 1 <= int(count) <= most:
            raise ValueError(f"local:N needs a worker count N from 1 to {most} (processes on "
                             "this machine), e.g. local:2")
        try:
            local = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                 dashboard_address=None,
                                 silence_logs=logging.CRITICAL if quiet else logging.WARNING)
        except (RuntimeError, OSError) as error:
            raise OSError(f"could not start {count} local worker processes ({error}); try "
                          "fewer") from error
        return _with_requested_changes(Client(local))
    if not cluster.strip():
        raise ValueError("give a scheduler address such as tcp://host:8786, or local:N for N "
                         "worker processes on this machine")
    _check_scheme(cluster)
    try:
        client = Client(cluster, timeout=f"{CONNECT_TIMEOUT_SECONDS}s")
    except (ValueError, TypeError) as error:  # TypeError: tls:// with no ssl_context, ucx://
        raise ValueError(f"not a scheduler address this command can use "
                         f"({' '.join(str(error).split())}): give one such as "
                         "tcp://host:8786, or local:N for N worker processes on this "
                         "machine") from error
    except OSError as error:
        raise OSError(f"no Dask scheduler answered within {CONNECT_TIMEOUT_SECONDS} s: start "
                      "one there (`dask scheduler`, workers with `dask worker ADDRESS`), fix "
                      "the address, or use local:N") from error
    return _with_requested_changes(client)


def _with_requested_changes(client):
    """`client`, its workers making the process-wide requests this process made (Numba cache
    saves under a lock, ...: `worker_setup`); closed if that fails."""
    from seqlab.nlp.ngram.worker_setup import forward_requested_changes

    try:
        forward_requested_changes(client)
    except BaseException:
        disconnect(client)
        raise
    return client


def _check_scheme(cluster: str) -> None:
    """ValueError for an address whose protocol this command cannot use: tls:// without
    Dask's TLS settings, ucx:// (neither fails cleanly in `Client`: a TypeError, then a
    half-made client that waits 30 s at exit)."""
    import dask

    scheme = cluster.split("://", 1)[0].lower() if "://" in cluster else "tcp"
    if scheme == "tls" and not dask.config.get("distributed.comm.tls.client.cert", None):
        raise ValueError("a tls:// scheduler needs Dask's TLS settings (distributed.comm.tls "
                         "in the Dask config: certificates of this client): set them, or give "
                         "a tcp://host:8786 address, or local:N")
    if scheme == "ucx":
        raise ValueError("ucx:// scheduler addresses are not supported: give one such as "
                         "tcp://host:8786, or local:N for N worker processes on this machine")


def disconnect(client, timeout: float = 5.0) -> None:
    """Close `client` and the LocalCluster `connect` started for it (if any), each given
    `timeout` seconds: a local cluster whose nanny is restarting a killed worker can take
    for ever to close. A local cluster that does not close in time is left to end with this
    process (its workers are daemon processes), not waited for again at exit. On a scheduler
    address, the worker plugin `connect` registered is unregistered first: workers joining the
    user's scheduler later are not patched by a command that has ended."""
    from seqlab.nlp.ngram.worker_setup import registered_plugin

    local = client.cluster  # None for a scheduler address
    plugin = registered_plugin(client)
    if local is None and plugin is not None and client.status == "running":
        # `timeout` bounds it as it bounds the close: `unregister_worker_plugin` waits for
        # ever on a scheduler that stopped answering (its connection open, its process
        # frozen), which hung a run that had already lost contact
        with contextlib.suppress(Exception):  # a timeout, a broken connection: nothing to do
            client.sync(client._unregister_worker_plugin, name=plugin,
                        nanny=None, callback_timeout=timeout)
    with contextlib.suppress(Exception):  # a timeout, a broken connection: nothing to keep
        client.close(timeout=timeout)
    if local is None:
        return
    try:
        local.close(timeout=timeout)
    except Exception:  # a timeout or a broken connection (see the docstring)
        local.shutdown_on_close = False  # Dask's atexit would wait for it once more


# Bytes read at a time while looking for the newline after a shard's target end.
_SCAN_BYTES = 1 << 16


def _line_end_after(path: Path, offset: int, size: int) -> int:
    """The smallest position >= `offset` just after a b"\\n" of the file, or its size: a
    place to cut it that splits no line (streamed: one block in memory however long the line)."""
    if offset == 0:
        return 0
    with open(path, "rb") as stream:
        stream.seek(offset - 1)  # a newline just before `offset` makes `offset` itself a cut
        position = offset - 1
        while block := stream.read(_SCAN_BYTES):
            found = block.find(b"\n")
            if found >= 0:
                return position + found + 1
            position += len(block)
    return size


def shard_ranges(paths: Sequence[str | Path], shards: int) -> list[list[FileRange]]:
    """The corpus cut into at most `shards` contiguous pieces about equal in bytes, in reading
    order (none empty): each a list of byte ranges of files, cut just after a newline, so that
    the workers share even one large file; reading them in order gives the lines of the files
    (`corpora.FileRange`). A line longer than a shard stays whole, so a shard may be larger
    and there may be fewer shards."""
    paths = [Path(p) for p in paths]
    sizes = [p.stat().st_size for p in paths]
    bases = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).tolist()
    total = bases[-1]
    cuts = [0]
    for k in range(1, shards):
        target = max(k * total // shards, cuts[-1])
        index = int(np.searchsorted(bases, target, side="right")) - 1
        if index >= len(paths):
            break
        cut = bases[index] + _line_end_after(paths[index], target - bases[index], sizes[index])
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(total)
    groups: list[list[FileRange]] = []
    for low, high in itertools.pairwise(cuts):
        if high <= low:
            continue
        groups.append([FileRange(str(path), max(low - base, 0), min(high - base, size))
                       for path, base, size in zip(paths, bases, sizes)
                       if size and base < high and base + size > low])
    return groups


def shard_vocabulary(paths: list[FileRange], line_tokens: LineTokens) -> tuple[dict[str, int], int]:
    """({token: count} in first-appearance order, sentence count) of one shard."""
    counts: dict[str, int] = {}
    sentences = 0
    for tokens in file_sentences(paths, line_tokens, in_parts=True):
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        sentences += not isinstance(tokens, ContinuedLine)  # a long line's parts: one
    return counts, sentences


def _padded_blocks(paths: list[FileRange], line_tokens: LineTokens, mapping: dict[str, int],
                   block_tokens: int) -> Iterator[np.ndarray]:
    """Padded final ids of the shard's sentences, about `block_tokens` a block; a long
    line's `ContinuedLine` parts make one sentence, which blocks may cut (see
    `external.padded_blocks`)."""
    def to_ids(tokens: list[str]) -> np.ndarray:
        return np.fromiter(map(mapping.__getitem__, tokens), dtype=np.int64, count=len(tokens))

    for block, _ in padded_blocks(file_sentences(paths, line_tokens, in_parts=True),
                                  block_tokens, to_ids):
        yield block


@dataclass
class Shard:
    """One shard's files on the local disk of the worker that holds it: its padded final ids
    (uint32, written once: later rounds read them, not the text), the block nodes the last
    round kept for the next, and the sorted counts of the last order, which the client reads
    a window at a time. Plain data and paths only, so it pickles small if Dask moves it."""

    folder: str
    tokens: int
    unigrams: np.ndarray
    worker: str = ""  # the address of the worker whose disk holds `folder`
    nodes: BlockNodes | None = None
    run: tuple[str, str, str] | None = None
    rows: int = 0
    spilled: int = 0

    def padded(self) -> np.ndarray:
        """The padded ids, memory-mapped (empty when the shard has no sentence)."""
        if self.tokens == 0:
            return np.zeros(0, dtype=np.uint32)
        return np.memmap(Path(self.folder) / "padded.u32", dtype=np.uint32, mode="r",
                         shape=(self.tokens,))

    def table_path(self, order: int) -> Path:
        """Where the finished keys of `order`, sent by the client, are kept."""
        return Path(self.folder) / f"table{order}.keys"


def _shard_prefix(run: str) -> str:
    return f"seqlab-ngram-shard-{run}-"


def shard_prepare(paths: list[FileRange], line_tokens: LineTokens, mapping: dict[str, int],
                  vocab_size: int, memory_bytes: int, order: int, run: str = "") -> Shard:
    """Tokenize a shard once into padded final ids on the worker's disk, counting unigrams
    (in a folder named after the `run`, which `remove_run_folders` finds)."""
    from dask.distributed import get_worker

    budget = Budget.of(memory_bytes, order)
    folder = tempfile.mkdtemp(prefix=_shard_prefix(run))
    try:
        counts = np.zeros(vocab_size, dtype=np.int64)
        tokens = 0
        with open(Path(folder) / "padded.u32", "wb") as stream:
            carried = 0  # position of the next block's first id (blocks cut long lines)
            for ids in _padded_blocks(paths, line_tokens, mapping, budget.block_tokens):
                position = sentence_positions(ids, carried)
                carried = int(position[-1]) + 1
                counts += np.bincount(ids[position > 0], minlength=vocab_size)
                stream.write(np.ascontiguousarray(ids, dtype=np.uint32).data)
                tokens += len(ids)
        return Shard(folder, tokens, counts, get_worker().address)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _shard_worker(shard: Shard) -> str:
    return shard.worker


def shard_unigrams(shard: Shard) -> np.ndarray:
    """Count of every id of one shard (the order-1 round)."""
    return shard.unigrams


def shard_receive_keys(shard: Shard, order: int, start: int, keys: np.ndarray,
                       total: int) -> int:
    """Write rows start.. of the finished sorted keys of `order` (of `total`) to the
    worker's disk: the next round finds its parents in them as one machine does."""
    descriptor = os.open(shard.table_path(order), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(descriptor).st_size != 8 * total:  # windows may come in any order
            os.ftruncate(descriptor, 8 * total)
        data = memoryview(np.ascontiguousarray(keys, dtype=np.int64)).cast("B")
        written = 0
        while written < len(data):  # pwrite: a full disk is ENOSPC, never a short file
            written += os.pwrite(descriptor, data[written:], 8 * start + written)
    finally:
        os.close(descriptor)
    return len(keys)


def shard_counts(shard: Shard, order: int, vocab_size: int, memory_bytes: int,
                 max_order: int) -> Shard:
    """Sorted order-`order` counts (order >= 2) of one shard, counted by one machine's pass
    (`external.count_order`) in `memory_bytes` and merged on the worker's disk; the parents
    are found in the keys of order - 1 the client sent (`shard_receive_keys`)."""
    budget = Budget.of(memory_bytes, max_order)
    lower_path = shard.table_path(order - 1)
    lower_keys = None
    if shard.nodes is not None:
        rows = lower_path.stat().st_size // 8 if lower_path.exists() else 0  # none sent
        lower_keys = np.memmap(lower_path, dtype=np.int64, mode="r", shape=(rows,)) if rows \
            else np.zeros(0, dtype=np.int64)
    merged, nodes, spilled = count_order(shard.padded(), None, order, vocab_size, shard.nodes,
                                         lower_keys, budget, Path(shard.folder),
                                         last=order == max_order)
    del lower_keys
    lower_path.unlink(missing_ok=True)
    run = None
    if len(merged):
        run = tuple(str(getattr(merged, part).filename) for part in ("keys", "counts", "suffix"))
    return replace(shard, unigrams=np.zeros(0, dtype=np.int64), nodes=nodes, run=run,
                   rows=len(merged), spilled=spilled)


def shard_window(shard: Shard, start: int, stop: int) -> Counts:
    """Rows start..stop of a shard's counts, as plain arrays (what travels to the client)."""
    assert shard.run is not None
    return Counts(*(np.array(np.memmap(path, dtype=np.int64, mode="r", shape=(shard.rows,))
                             [start:stop]) for path in shard.run))


def shard_summary(shard: Shard) -> tuple[int, int, str]:
    """(rows, runs spilled, folder) of a shard's counts."""
    return shard.rows, shard.spilled, shard.folder


def drop_run(shard: Shard) -> None:
    """Delete a shard's counts of the last order (merged by the client) from its disk."""
    for path in shard.run or ():
        Path(path).unlink(missing_ok=True)


def remove_run_folders(run: str) -> int:
    """Delete every shard folder of `run` on this worker's disk (those of shards that failed,
    were cancelled or finished after the client gave up too); how many there were."""
    folders = list(Path(tempfile.gettempdir()).glob(_shard_prefix(run) + "*"))
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return len(folders)


class RemoteRun:
    """A shard's sorted counts on a worker, read by the client a window at a time."""

    def __init__(self, client, future, length: int, stats: ClusterStats, order: int,
                 worker: str, watch: ShardWatch, shard: int) -> None:
        self.client, self.future, self.length = client, future, length
        self.stats, self.order, self.worker = stats, order, worker
        self.watch, self.shard = watch, shard

    def __len__(self) -> int:
        return self.length

    def window(self, start: int, stop: int) -> Counts:
        self.stats.windows[self.order] = self.stats.windows.get(self.order, 0) + 1
        self.stats.largest_window = max(self.stats.largest_window, stop - start)
        future = self.client.submit(shard_window, self.future, start, stop, pure=False,
                                    workers=[self.worker], allow_other_workers=False)
        [window] = self.watch.gather([future], f"merging order {self.order}", [self.shard])
        return window


@dataclass
class ClusterStats:
    """What the cluster did, per order: runs the workers spilled, windows the client read,
    rows of lower-order keys sent to the workers (one window of them in memory at a time)."""

    runs: dict[int, int] = field(default_factory=dict)
    windows: dict[int, int] = field(default_factory=dict)
    largest_window: int = 0
    folders: list[str] = field(default_factory=list)
    keys_sent: dict[int, int] = field(default_factory=dict)
    largest_keys_window: int = 0


# Rows of keys sent to the workers at a time: at least this many (fewer round trips on a tiny
# budget), else a counting buffer's worth.
MIN_KEYS_WINDOW = 1 << 16


def _send_keys(client, shards: list, where: list[str], keys: np.ndarray, order: int,
               window_rows: int, stats: ClusterStats, watch: ShardWatch) -> None:
    """Send order `order`'s merged keys (a memory map on the client) to every shard's disk,
    one window at a time: the client reads and holds one window, and so does each worker."""
    pages = PageReleaser(keys)
    total = len(keys)
    for start in range(0, total, window_rows):
        window = np.array(keys[start: start + window_rows])
        pages.advance(8 * len(window))
        window_future = watch.scatter(window, f"sending the order-{order} keys")
        watch.gather([client.submit(shard_receive_keys, shard, order, start, window_future,
                                    total, pure=False, workers=[worker],
                                    allow_other_workers=False)
                      for shard, worker in zip(shards, where)], f"sending the order-{order} keys")
        stats.largest_keys_window = max(stats.largest_keys_window, len(window))
        del window, window_future
    stats.keys_sent[order] = total


def count_orders_dask(client, paths: Sequence[str | Path], line_tokens: LineTokens, order: int,
                      unk_cutoff: int, memory_bytes: int, scratch: Path,
                      shards: int | None = None, stats: ClusterStats | None = None,
                      ) -> tuple[list[str], np.ndarray, list[Counts]]:
    """(vocabulary, unigram counts, merged Counts of orders 2..`order`) of the sentences of
    `paths` counted on a Dask cluster: what `external.count_orders(on_disk=True)` gives on
    one machine. Each worker tokenizes its shard once to padded ids on its disk and counts
    each order by one machine's pass over them, finding the parents in the order below's
    keys, which the client sends a window at a time to the workers' disks. The client streams
    each order's k-way merge of the shards' runs (a window of each at a time) into sorted
    files in `scratch`, memory-mapped back; no process holds a whole order's keys.

    A worker holding a shard that dies or leaves, a shard that keeps killing workers and a
    cluster left without workers raise `cluster_watch.WorkerLostError` within about a
    second (a minute for no workers) instead of waiting for ever; the pending tasks are
    cancelled and every worker left deletes this run's folders. An OSError of a task's own
    (a file a worker cannot read, a full disk) raises `cluster_watch.ShardTaskError`."""
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    stats = stats if stats is not None else ClusterStats()
    if shards is None:
        # the scheduler's workers now (the client's scheduler_info() copy may list none)
        shards = max(1, len(ShardWatch(client, []).workers()))
    groups = shard_ranges(paths, shards)
    watch = ShardWatch(client, [describe_shard(group) for group in groups])
    run = uuid.uuid4().hex[:12]
    pending: list = []  # every future a failure must cancel
    try:
        return _count_orders(client, groups, line_tokens, order, unk_cutoff, memory_bytes,
                             scratch, stats, watch, run, pending)
    except Exception as error:
        if client.status == "running" or isinstance(error, (WorkerLostError, ShardTaskError)):
            raise
        # the client closed under us (it gave up reconnecting to a scheduler that went)
        raise watch.scheduler_lost(f"the client is {client.status}") from error
    finally:  # every worker deletes this run's folders, after the pending tasks are cancelled
        # (if the scheduler is gone too, the error on its way says so; nothing to add): each
        # step on its own, so that one failing leaves the others done
        watch.cancel(pending)
        pending.clear()
        watch.close()
        with contextlib.suppress(Exception):
            if client.status == "running":  # (not waiting for a reconnection)
                client.run(remove_run_folders, run, on_error="ignore",
                           callback_timeout=watch.answer_seconds)  # (Client.sync's keyword)


def _count_orders(client, groups: list[list[FileRange]], line_tokens: LineTokens, order: int,
                  unk_cutoff: int, memory_bytes: int, scratch: Path, stats: ClusterStats,
                  watch: ShardWatch, run: str, pending: list,
                  ) -> tuple[list[str], np.ndarray, list[Counts]]:
    """`count_orders_dask` on the shards `groups`, every wait through `watch`, every future
    submitted kept in `pending` (the caller cancels those left when it fails)."""
    vocabularies = watch.gather(client.map(shard_vocabulary, groups, line_tokens=line_tokens,
                                           pure=False), "finding the vocabulary")
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
    mapping_future = watch.scatter(mapping, "sending the vocabulary")
    del mapping
    prepared = client.map(shard_prepare, groups, line_tokens=line_tokens,
                          mapping=mapping_future, vocab_size=vocab_size,
                          memory_bytes=memory_bytes, order=order, run=run, pure=False)
    pending += prepared
    summaries = watch.gather(client.map(shard_summary, prepared, pure=False),
                             "tokenizing the shards")
    stats.folders += [folder for _, _, folder in summaries]
    del mapping_future  # the workers let the vocabulary go
    where = watch.gather(client.map(_shard_worker, prepared, pure=False),
                         "tokenizing the shards")
    watch.pin(where)  # from here on a shard's tasks run where its files are, or not at all
    unigram_counts = np.sum(watch.gather(client.map(shard_unigrams, prepared, pure=False),
                                         "counting unigrams"), axis=0)
    if vocab_size * (sum(tokens for tokens, _, _ in summaries)) >= 2**62:
        raise ValueError("corpus too large for 64-bit n-gram keys")
    higher: list[Counts] = []
    current = prepared
    for n in range(2, order + 1):
        budget = Budget.of(memory_bytes, n)
        if n > 2:
            _send_keys(client, current, where, higher[-1].keys, n - 1,
                       max(budget.buffer_rows, MIN_KEYS_WINDOW), stats, watch)
        current = [client.submit(shard_counts, shard, n, vocab_size, memory_bytes, order,
                                 pure=False, workers=[worker], allow_other_workers=False)
                   for shard, worker in zip(current, where)]
        pending[:] = current  # the shards of the order below go (their unigrams with them)
        prepared = []
        summaries = watch.gather(client.map(shard_summary, current, pure=False),
                                 f"counting order {n}")
        stats.runs[n] = sum(spilled for _, spilled, _ in summaries)
        runs = [RemoteRun(client, future, rows, stats, n, worker, watch, index)
                for index, (future, (rows, _, _), worker)
                in enumerate(zip(current, summaries, where))]
        higher.append(write_run(merged_windows(runs, budget.window_rows(len(runs))),
                                scratch / f"order{n}-merged"))
        watch.gather([client.submit(drop_run, shard, pure=False, workers=[worker],
                                    allow_other_workers=False)
                      for shard, worker in zip(current, where)], f"merging order {n}")
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
    with scratch_folder() as folder:
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

    with scratch_folder(scratch_dir) as folder:
        vocab, unigram_counts, higher = count_orders_dask(
            client, paths, line_tokens, order, unk_cutoff, memory_bytes, Path(folder),
            shards, stats)
        result = write_kneser_ney_arpa(vocab, unigram_counts, higher, path, memory_bytes,
                                       Path(folder), unk_cutoff=unk_cutoff,
                                       tokenization=line_tokens.recorded())
    result.stats.sentences = int(unigram_counts[EOS_ID])
    result.stats.tokens = int(unigram_counts.sum()) - result.stats.sentences
    return result
