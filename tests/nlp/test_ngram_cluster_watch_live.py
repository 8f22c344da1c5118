"""ShardWatch against a live scheduler (threads, 2 workers): it asks the scheduler itself
(never the client's stale copy), tells a task's own error from a lost worker, gives up on a
broadcast that keeps failing, and ignores a holder that retires after its last task."""

from __future__ import annotations

import logging
import threading
import time

import pytest

distributed = pytest.importorskip(
    "dask.distributed",
    reason="Dask is not installed: install the extra (uv sync --all-packages --extra "
           "distributed, or pip install 'seqlab-nlp[distributed]')",
)


def _thread_cluster():
    """A LocalCluster of 2 worker threads and its client, closed when the test is done."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                           dashboard_address=None, silence_logs=logging.CRITICAL)
    client = Client(cluster)
    client.wait_for_workers(2)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker threads (no test here kills a process)."""
    yield from _thread_cluster()


def _within(seconds, function):
    """function()'s result or exception, failing the test if it has not returned by then
    (a watch that hangs)."""
    done = {}

    def call():
        try:
            done["value"] = function()
        except BaseException as error:  # handed to the test
            done["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    return done


def test_the_clients_stale_copy_listing_no_worker_is_not_a_lost_worker(client, monkeypatch):
    from seqlab.nlp.ngram.cluster_watch import ShardWatch

    workers = sorted(client.scheduler_info()["workers"])
    # between its refreshes, the client's copy of the scheduler's state may list no worker
    monkeypatch.setattr(client, "scheduler_info", lambda *a, **k: {"workers": {}})
    watch = ShardWatch(client, ["a.txt", "b.txt"], poll_seconds=0.0)
    try:
        watch.pin(workers)
        for _ in range(20):
            watch.check("counting order 2")
    finally:
        watch.close()


def _raise_timeout():
    raise TimeoutError("nfs read timed out")


def _read_missing():
    with open("/nonexistent-seqlab/corpus.txt", "rb") as stream:
        return stream.read()


@pytest.mark.parametrize("poll", [0.05, 0.0005])  # tiny: the wait's own timeout may race
def test_a_task_raising_timeout_error_is_its_own_error_not_a_wait(client, poll):
    from seqlab.nlp.ngram.cluster_watch import ShardTaskError, ShardWatch

    watch = ShardWatch(client, ["a.txt"], poll_seconds=poll)
    for _ in range(5):
        future = client.submit(_raise_timeout, pure=False)
        done = _within(10, lambda: watch.gather([future], "finding the vocabulary"))  # noqa: B023
        assert isinstance(done.get("error"), ShardTaskError), done
        message = str(done["error"])
        assert "nfs read timed out" in message and "finding the vocabulary" in message
        assert "\n" not in message


def test_a_file_a_worker_cannot_see_is_named_at_once_not_lost_contact(client, monkeypatch):
    from seqlab.nlp.ngram.cluster_watch import ShardTaskError, ShardWatch

    watch = ShardWatch(client, ["corpus.txt"], poll_seconds=0.05, comm_grace_seconds=5)
    grace_waits = []  # the broken-connection path, which waits up to comm_grace_seconds
    after_comm_error = watch._after_comm_error
    monkeypatch.setattr(watch, "_after_comm_error",
                        lambda error, *args: (grace_waits.append(error),
                                              after_comm_error(error, *args)))
    future = client.submit(_read_missing, pure=False)
    with pytest.raises(ShardTaskError) as caught:
        watch.gather([future], "finding the vocabulary")
    # named from the task's own error at once, never through the grace for a broken
    # connection (proved by the path taken, not a clock: flaky under load)
    assert grace_waits == []
    message = str(caught.value)
    assert message.startswith("a worker could not read /nonexistent-seqlab/corpus.txt")
    assert "every worker must see the corpus at the same path" in message
    assert "\n" not in message


def test_a_broadcast_that_keeps_failing_is_given_up(client, monkeypatch):
    from seqlab.nlp.ngram import cluster_watch
    from seqlab.nlp.ngram.cluster_watch import ShardWatch, WorkerLostError

    tries = []

    async def broken(*args, **kwargs):
        tries.append(1)
        raise OSError("connection closed by a worker")

    monkeypatch.setattr(client, "scatter", lambda *a, **k: broken())
    watch = ShardWatch(client, ["a.txt"], poll_seconds=0.01, comm_grace_seconds=0.1)
    done = _within(10, lambda: watch.scatter([1, 2], "sending the vocabulary"))
    assert isinstance(done.get("error"), WorkerLostError), done
    assert "failed 5 times while sending the vocabulary" in str(done["error"])
    assert len(tries) == cluster_watch.SCATTER_ATTEMPTS


def _slow(seconds):
    time.sleep(seconds)
    return seconds


def test_a_holder_retiring_after_its_last_task_is_no_loss(worker_tmp_cluster):
    from seqlab.nlp.ngram.cluster_watch import ShardWatch

    client = worker_tmp_cluster
    first, second = sorted(client.scheduler_info()["workers"])
    watch = ShardWatch(client, ["a.txt", "b.txt"], poll_seconds=0.05)
    try:
        watch.pin([first, second])
        futures = [client.submit(_slow, 1.5, pure=False, workers=[first],
                                 allow_other_workers=False),
                   client.submit(_slow, 0.0, pure=False, workers=[second],
                                 allow_other_workers=False)]
        futures[1].result()
        client.retire_workers([second])  # its last task done: it leaves normally
        assert watch.gather(futures, "merging order 3") == [1.5, 0.0]
    finally:
        watch.close()


@pytest.fixture
def worker_tmp_cluster():
    """A cluster of its own (a test here retires one of its workers)."""
    yield from _thread_cluster()


def test_a_scheduler_that_went_is_lost_contact_at_once(monkeypatch):
    """The client's cached state would still answer; the watch must not wait ~15 s for a
    reconnection nor fail on an empty reply."""
    from dask.distributed import Client, LocalCluster

    from seqlab.nlp.ngram.cluster_watch import ShardWatch, WorkerLostError

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                           protocol="tcp://", dashboard_address=None,
                           silence_logs=logging.CRITICAL)
    client = Client(cluster.scheduler_address, timeout="5s")
    try:
        watch = ShardWatch(client, ["a.txt"], poll_seconds=0.0, answer_seconds=2)
        watch.pin(list(client.scheduler_info()["workers"]))
        asked = []  # every question to the scheduler and the bound it carried
        sync = client.sync
        monkeypatch.setattr(client, "sync", lambda function, *args, **kwargs: (
            asked.append(kwargs.get("callback_timeout")), sync(function, *args, **kwargs))[1])
        cluster.close()
        with pytest.raises(WorkerLostError, match=r"lost contact with the scheduler|left the "
                                                  r"cluster|did not answer"):
            for _ in range(100):  # bounded: a watch that never tells fails here
                watch.check("counting order 2")
                time.sleep(0.05)
        # At once, without a clock (flaky under load): no question to the scheduler could
        # wait on the client's reconnection (~15 s), each carried the answer bound.
        assert all(bound == 2 for bound in asked), asked
    finally:
        client.close(timeout=2)


def test_the_default_shard_count_is_the_schedulers_workers_not_the_stale_copy(
        client, tmp_path, monkeypatch):
    from seqlab.nlp.ngram.distributed import ClusterStats, count_ngrams_dask
    from seqlab.nlp.ngram.sentences import LineTokens

    paths = []
    for i in range(2):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text("".join(f"w{j % 7} w{(i + j) % 5} .\n" for j in range(50)))
    monkeypatch.setattr(client, "scheduler_info", lambda *a, **k: {"workers": {}})
    stats = ClusterStats()
    count_ngrams_dask(client, paths, LineTokens("word"), 2, stats=stats)
    assert len(stats.folders) == 2  # a shard per worker
