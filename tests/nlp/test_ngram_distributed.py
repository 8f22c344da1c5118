"""N-gram counting on a Dask LocalCluster of 2 workers writes the single-process ARPA file."""

import tempfile
from pathlib import Path

import pytest

from seqlab.nlp import ngram
from seqlab.nlp.ngram.sentences import LineTokens, file_sentences

distributed = pytest.importorskip(
    "dask.distributed",
    reason="Dask is not installed: install the extra (uv sync --all-packages --extra "
           "distributed, or pip install 'seqlab-nlp[distributed]')",
)


@pytest.fixture(scope="module")
def client():
    """Two local workers, connected as `seqlab ngram train --cluster local:2` connects: after
    the command's request that Numba cache saves hold a lock (the workers compile and save
    the counting kernels, beside the test processes doing the same) and that LLVM's clean
    pages be given back after each kernel loads (every cluster count below runs under it)."""
    from seqlab.autograd.kernel_cache_lock import LOCKED_SAVES
    from seqlab.autograd.llvm_pages import RELEASED_LLVM_PAGES
    from seqlab.nlp.ngram.distributed import connect

    requested = LOCKED_SAVES.requested, RELEASED_LLVM_PAGES.requested
    LOCKED_SAVES.request()
    RELEASED_LLVM_PAGES.request()
    try:
        client = connect("local:2")
    finally:
        LOCKED_SAVES.requested, RELEASED_LLVM_PAGES.requested = requested
    yield client
    cluster = client.cluster
    client.close()
    cluster.close()


def _files(folder):
    texts = [
        "the cat sat on the mat .\nthe dog sat on the log\n",
        "a cat and a dog .\n\n   \nthe mat and the log",  # blank lines, no final newline
        "naïve café , the cat\r\nsat on the café mat\n",
        "one more line about the dog and the cat .\n" * 3,
    ]
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"{i}.txt"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths


@pytest.mark.parametrize("level,order,unk_cutoff", [("word", 3, 1), ("char", 4, 2)])
def test_cluster_arpa_is_the_single_process_arpa(client, tmp_path, level, order, unk_cutoff):
    from seqlab.nlp.ngram.distributed import count_ngrams_dask

    paths = _files(tmp_path)
    line_tokens = LineTokens(level)
    single = ngram.KneserNey(order, unk_cutoff=unk_cutoff).fit(
        list(file_sentences(paths, line_tokens)))
    vocab, tables = count_ngrams_dask(client, paths, line_tokens, order, unk_cutoff,
                                      memory_bytes=4096, shards=3)
    clustered = ngram.KneserNey(order, unk_cutoff=unk_cutoff).fit_counts(vocab, tables)
    single.save_arpa(tmp_path / "single.arpa")
    clustered.save_arpa(tmp_path / "cluster.arpa")
    assert (tmp_path / "single.arpa").read_bytes() == (tmp_path / "cluster.arpa").read_bytes()


def test_cluster_merge_reads_bounded_windows_and_cleans_up(client, tmp_path, monkeypatch):
    """With a tiny budget the workers spill and the client merges the shards a few rows at a
    time, never gathering a shard's counts whole, and sends each order's keys to the workers
    a few rows at a time too; the ARPA is still the single-process one."""
    from pathlib import Path

    from seqlab.nlp.ngram import distributed as cluster
    from seqlab.nlp.ngram.distributed import ClusterStats, count_ngrams_dask
    from seqlab.nlp.ngram.external import Budget

    monkeypatch.setattr(cluster, "MIN_KEYS_WINDOW", 32)  # the client side's floor

    paths = _files(tmp_path)
    for i in range(4, 8):  # more text, so every order has more rows than one window
        path = tmp_path / f"{i}.txt"
        path.write_text("".join(f"w{(i * j) % 23} w{j % 7} w{(j * j) % 11} x{j % 5} .\n"
                                for j in range(40)), encoding="utf-8")
        paths.append(path)
    line_tokens = LineTokens("word")
    single = ngram.KneserNey(4).fit(list(file_sentences(paths, line_tokens)))
    stats = ClusterStats()
    memory = 2048
    vocab, tables = count_ngrams_dask(client, paths, line_tokens, 4, memory_bytes=memory,
                                      shards=2, stats=stats)
    clustered = ngram.KneserNey(4).fit_counts(vocab, tables)
    single.save_arpa(tmp_path / "single.arpa")
    clustered.save_arpa(tmp_path / "cluster.arpa")
    assert (tmp_path / "single.arpa").read_bytes() == (tmp_path / "cluster.arpa").read_bytes()
    for n in (2, 3, 4):
        assert stats.runs[n] >= 4  # the workers spilled several sorted runs
        assert stats.windows[n] > 4 * 2  # many small windows, not one gather per shard
        assert len(tables[n - 1].keys) > 4 * Budget.of(memory, n).window_rows(2)
    assert stats.largest_window <= max(Budget.of(memory, n).window_rows(2) for n in (2, 3, 4))
    # the parents' keys went to the workers in windows (any order of arrival), never whole
    assert stats.keys_sent == {2: len(tables[1].keys), 3: len(tables[2].keys)}
    assert stats.largest_keys_window <= max(32, *(Budget.of(memory, n).buffer_rows
                                                 for n in (3, 4)))
    assert stats.largest_keys_window < len(tables[1].keys) // 4
    assert stats.folders and not any(Path(folder).exists() for folder in stats.folders)


def test_cluster_kneser_ney_streams_the_merge_to_disk_and_writes_the_streamed_arpa(client,
                                                                                     tmp_path):
    """The client merges the shards' runs into files and estimates from them within a tiny
    budget (several spills, several windows): the ARPA is the one-machine streamed file and
    the in-memory one, byte for byte, and no scratch file is left."""
    from seqlab.nlp.ngram.distributed import ClusterStats, train_kneser_ney_arpa_dask
    from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa

    (tmp_path / "corpus").mkdir()
    paths = _files(tmp_path / "corpus")
    for i in range(4, 8):
        path = tmp_path / "corpus" / f"{i}.txt"
        path.write_text("".join(f"w{(i * j) % 23} w{j % 7} w{(j * j) % 11} x{j % 5} .\n"
                                for j in range(40)), encoding="utf-8")
        paths.append(path)
    line_tokens = LineTokens("word")
    sentences = list(file_sentences(paths, line_tokens))
    memory = ngram.KneserNey(4, unk_cutoff=2).fit(sentences)
    memory.tokenization = line_tokens.recorded()  # the cluster's file records it
    memory.save_arpa(tmp_path / "memory.arpa")
    train_kneser_ney_arpa(iter(sentences), 4, tmp_path / "single.arpa", 4096, 2,
                          scratch_dir=tmp_path, tokenization=line_tokens.recorded())
    stats = ClusterStats()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = train_kneser_ney_arpa_dask(client, paths, line_tokens, 4, tmp_path / "cluster.arpa",
                                        4096, unk_cutoff=2, scratch_dir=scratch, shards=2,
                                        stats=stats)
    cluster = (tmp_path / "cluster.arpa").read_bytes()
    assert cluster == (tmp_path / "single.arpa").read_bytes()
    assert cluster == (tmp_path / "memory.arpa").read_bytes()
    assert min(stats.runs.values()) >= 2 and min(stats.windows.values()) > 2
    assert result.stats.sentences == len(sentences)
    assert result.stats.tokens == sum(map(len, sentences))
    assert list(scratch.iterdir()) == []


def test_one_file_is_shared_by_both_workers_and_gives_the_single_machine_arpa(client, tmp_path):
    """A corpus of one file is cut into byte ranges after newlines (here inside multi-byte text,
    \\r\\n and lone \\r lines, with no final newline), one per worker: both workers count, and
    the ARPA file is the one-machine streamed one and the in-memory one, byte for byte."""
    from seqlab.nlp.ngram.distributed import shard_ranges, train_kneser_ney_arpa_dask
    from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa

    path = tmp_path / "one.txt"
    lines = [f"naïve café {i % 7} , the {'cat' if i % 3 else 'dög'} sat\r" + ("\n" if i % 2
             else "\r\n") + ("€ and ☕ on the mat .\rstill the same line\n" if i % 5 == 0 else "")
             for i in range(60)]
    path.write_bytes(("".join(lines) + "the last line without a newline").encode())
    groups = shard_ranges([path], 2)
    assert len(groups) == 2 and all(piece.path == str(path) for group in groups
                                    for piece in group)
    line_tokens = LineTokens("word")
    sentences = list(file_sentences([path], line_tokens))
    memory = ngram.KneserNey(3).fit(sentences)
    memory.tokenization = line_tokens.recorded()  # the cluster's file records it
    memory.save_arpa(tmp_path / "memory.arpa")
    train_kneser_ney_arpa(iter(sentences), 3, tmp_path / "single.arpa", 4096,
                          scratch_dir=tmp_path, tokenization=line_tokens.recorded())
    result = train_kneser_ney_arpa_dask(client, [path], line_tokens, 3,
                                        tmp_path / "cluster.arpa", 4096)  # shards: 2 workers
    cluster = (tmp_path / "cluster.arpa").read_bytes()
    assert cluster == (tmp_path / "single.arpa").read_bytes()
    assert cluster == (tmp_path / "memory.arpa").read_bytes()
    assert result.stats.sentences == len(sentences)
    # both workers read a part: each range alone gives a share of the sentences
    parts = [list(file_sentences(group, line_tokens)) for group in groups]
    assert all(parts) and parts[0] + parts[1] == sentences


def test_remove_run_folders_deletes_that_runs_shard_folders_only(tmp_path, monkeypatch):
    """What every worker runs when a cluster count ends, failed or not: the folders of shards
    that failed, were cancelled or finished late go; another run's stay."""
    from seqlab.nlp.ngram import distributed as cluster_counting

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mine = [tempfile.mkdtemp(prefix=cluster_counting._shard_prefix("abc")) for _ in range(2)]
    (Path(mine[0]) / "padded.u32").write_bytes(b"\0" * 8)
    other = tempfile.mkdtemp(prefix=cluster_counting._shard_prefix("xyz"))
    assert cluster_counting.remove_run_folders("abc") == 2
    assert not any(Path(folder).exists() for folder in mine)
    assert Path(other).exists()


def test_a_line_longer_than_a_chunk_counts_on_the_cluster_as_the_whole_line(client, tmp_path):
    """A 1.6 MB line (longer than a reading chunk: its workers read it in ContinuedLine parts
    and cut blocks inside it) gives the single-process ARPA file of the line read whole."""
    import random

    from seqlab.nlp.corpora import COUNTING_CHUNK_BYTES
    from seqlab.nlp.ngram.distributed import count_ngrams_dask

    rng = random.Random(3)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "log", "café", "and"]
    line = " ".join(rng.choice(words) for _ in range(400_000))
    assert len(line.encode()) > 5 * COUNTING_CHUNK_BYTES
    path = tmp_path / "long.txt"
    path.write_text("the cat\n" + line + "\na dog sat", encoding="utf-8")
    line_tokens = LineTokens("whitespace")
    single = ngram.KneserNey(3).fit(list(file_sentences([path], line_tokens)))
    vocab, tables = count_ngrams_dask(client, [path], line_tokens, 3, 1,
                                      memory_bytes=1 << 20, shards=2)
    clustered = ngram.KneserNey(3).fit_counts(vocab, tables)
    single.save_arpa(tmp_path / "single.arpa")
    clustered.save_arpa(tmp_path / "cluster.arpa")
    assert (tmp_path / "single.arpa").read_bytes() == (tmp_path / "cluster.arpa").read_bytes()



def test_the_workers_lock_their_numba_cache_saves_as_the_command_does(client):
    """A `seqlab` command saves its Numba cache entries under a lock (`kernel_cache_lock`);
    the cluster workers it counts on compile and save the counting kernels too, so `connect`
    has them take the same lock (leftovers s21, item 3)."""
    from seqlab.autograd.kernel_cache_lock import saves_locked

    # what a shard's first count does: a kernel module loads, its cache guard applies the
    # requests (a worker imports no Numba before that: a restarted one is soon ready)
    client.run(lambda: __import__("seqlab.nlp.ngram.count_kernels") and None)
    assert list(client.run(saves_locked).values()) == [True, True]


def _seqlab_plugins(client) -> list[str]:
    """The names of the seqlab worker plugins registered on `client`'s scheduler."""
    from seqlab.nlp.ngram.worker_setup import RequestedChanges

    def plugin_names(dask_scheduler):
        return sorted(dask_scheduler.worker_plugins)

    return [name for name in client.run_on_scheduler(plugin_names)
            if name.startswith(RequestedChanges.name)]


def test_the_workers_give_llvm_pages_back_as_the_command_does(client):
    """A `seqlab` command gives LLVM's clean pages back after each kernel loads
    (`llvm_pages`); its cluster workers are asked to do the same (their counting tasks run in
    worker threads, and a release holds Numba's compiler lock), and their counts are the
    single process's (the ARPA tests above run on these workers)."""
    client.run(lambda: __import__("seqlab.nlp.ngram.count_kernels") and None)
    listening = client.run(  # (a lambda travels by value: the workers cannot import tests)
        lambda: __import__("seqlab.autograd.llvm_pages", fromlist=["_"])._listener is not None)
    assert list(listening.values()) == [True, True]


def test_disconnecting_from_a_scheduler_address_leaves_no_worker_plugin_behind(client):
    """`ngram train --cluster tcp://HOST:8786` registers its worker plugin on the user's
    scheduler; `disconnect` unregisters it, so that workers joining later, for any client,
    are not patched by a command that has ended (reader s21, item 2)."""
    from seqlab.autograd.kernel_cache_lock import LOCKED_SAVES
    from seqlab.nlp.ngram.distributed import connect, disconnect

    before = _seqlab_plugins(client)  # the fixture's own local:2 plugin
    requested = LOCKED_SAVES.requested
    LOCKED_SAVES.request()
    try:
        command_client = connect(client.scheduler.address)  # the fixture's, as a user's one
        assert len(_seqlab_plugins(client)) == len(before) + 1
        disconnect(command_client)
        assert _seqlab_plugins(client) == before
    finally:
        LOCKED_SAVES.requested = requested


def test_two_runs_on_one_scheduler_keep_their_own_worker_plugins(client):
    """Two `--cluster tcp://HOST:8786` runs at once: each registers its plugin under a name
    of its own, so the second does not replace the first's, and the first's exit does not
    unregister the second's (leftovers s22, item 4)."""
    from seqlab.autograd.kernel_cache_lock import LOCKED_SAVES
    from seqlab.nlp.ngram.distributed import connect, disconnect

    before = _seqlab_plugins(client)
    requested = LOCKED_SAVES.requested
    LOCKED_SAVES.request()
    try:
        first = connect(client.scheduler.address)
        first_names = set(_seqlab_plugins(client)) - set(before)
        second = connect(client.scheduler.address)
        both = set(_seqlab_plugins(client)) - set(before)
        assert len(first_names) == 1 and len(both) == 2 and first_names < both
        disconnect(first)
        assert set(_seqlab_plugins(client)) - set(before) == both - first_names
        disconnect(second)
        assert _seqlab_plugins(client) == before
    finally:
        LOCKED_SAVES.requested = requested
