"""A cluster count whose worker dies or leaves mid-run fails fast with one clear error: which
worker, which shard, rerun; the ARPA file is not written and no shard folder is left."""

from __future__ import annotations

import os
import signal
import types

import pytest

from seqlab.nlp.ngram.sentences import LineTokens

distributed = pytest.importorskip(
    "dask.distributed",
    reason="Dask is not installed: install the extra (uv sync --all-packages --extra "
           "distributed, or pip install 'seqlab-nlp[distributed]')",
)


@pytest.fixture
def worker_tmp(tmp_path, monkeypatch):
    """The workers' temporary folder (they inherit TMPDIR), to see what they leave."""
    folder = tmp_path / "workers-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def client(worker_tmp):
    """A LocalCluster of 2 worker processes of its own (tests here kill workers)."""
    import dask

    from seqlab.nlp.ngram.distributed import connect, disconnect

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        client = connect("local:2", quiet=True)
        yield client
        disconnect(client)


def _corpus(folder):
    paths = []
    for i in range(2):
        path = folder / f"{i}.txt"
        path.write_text("".join(f"w{(i * j) % 23} w{j % 7} w{(j * j) % 11} x{j % 5} .\n"
                                for j in range(200)), encoding="utf-8")
        paths.append(path)
    return paths


def _shard_folders(folder):
    return [p for p in folder.iterdir() if p.name.startswith("seqlab-ngram-shard-")]


@pytest.mark.parametrize("how", ["killed", "retired"])
def test_a_worker_lost_mid_run_is_one_clear_error_and_nothing_is_written(
        client, tmp_path, worker_tmp, monkeypatch, how):
    from seqlab.nlp.ngram import distributed as cluster
    from seqlab.nlp.ngram.cluster_watch import ShardWatch, WorkerLostError, describe_shard

    paths = _corpus(tmp_path)
    send_keys = cluster._send_keys
    lost = []
    watches = []

    class RecordedWatch(ShardWatch):  # the run's watch, kept to see what it was told
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            watches.append(self)

    def lose_a_worker_then_send(client, shards, where, *args):
        # the order-2 keys are about to go to the workers: the second shard's holder goes
        if not lost:
            lost.append(where[1])
            if how == "killed":
                [pid] = client.run(os.getpid, workers=[where[1]]).values()
                os.kill(pid, signal.SIGKILL)
            else:
                client.retire_workers([where[1]])
        return send_keys(client, shards, where, *args)

    monkeypatch.setattr(cluster, "_send_keys", lose_a_worker_then_send)
    monkeypatch.setattr(cluster, "ShardWatch", RecordedWatch)
    out = tmp_path / "model.arpa"
    with pytest.raises(WorkerLostError) as caught:
        cluster.train_kneser_ney_arpa_dask(client, paths, LineTokens("word"), 3, out,
                                           1 << 20, scratch_dir=tmp_path, shards=2)
    message = str(caught.value)
    assert "\n" not in message
    # Told by the watch's poll of the scheduler (its remove-worker event or its list of
    # workers), not by a timeout: the broken-connection grace ends in "lost contact with the
    # cluster", the answer timeout in "did not answer", a task retried to death in "made its
    # workers die", and Dask alone waits for ever. No wall clock read (flaky under load).
    assert f"worker {lost[0]} left the cluster" in message
    [watch] = watches
    assert watch.holders[1] == lost[0]
    assert lost[0] in watch.removed or lost[0] not in watch._listed
    second = describe_shard(cluster.shard_ranges(paths, 2)[1])
    assert f"shard 2 of 2 ({second})" in message and "rerun" in message
    assert not out.exists()
    assert _shard_folders(worker_tmp) == []  # the survivors removed the run's folders
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("seqlab-ngram-")]


def test_a_shard_that_kills_every_worker_it_runs_on_is_one_clear_error(client, tmp_path,
                                                                       worker_tmp):
    from seqlab.nlp.ngram.cluster_watch import WorkerLostError, describe_shard
    from seqlab.nlp.ngram.distributed import shard_ranges, train_kneser_ney_arpa_dask

    class KillingTokens(LineTokens):  # a local class: Dask ships it by value
        def __call__(self, line):
            if line.startswith("KILL"):
                os._exit(1)
            return super().__call__(line)

    paths = _corpus(tmp_path)
    paths[1].write_text("KILL the worker\n", encoding="utf-8")
    out = tmp_path / "model.arpa"
    out.write_text("a user's file\n")
    with pytest.raises(WorkerLostError) as caught:
        train_kneser_ney_arpa_dask(client, paths, KillingTokens("word"), 3, out, 1 << 20,
                                   scratch_dir=tmp_path, shards=2)
    second = describe_shard(shard_ranges(paths, 2)[1])
    assert second.endswith("1.txt bytes 0..16")  # the shard that holds the killing line
    assert f"shard 2 of 2 ({second}) made its workers die" in str(caught.value)
    assert "rerun" in str(caught.value)
    assert out.read_text() == "a user's file\n"
    assert _shard_folders(worker_tmp) == []


class _Scheduler:
    """A scheduler's `ncores` as the client's rpc gives it: a coroutine, here after
    `delay` seconds (None: never), listing `workers`."""

    address = "tcp://10.0.0.7:8786"

    def __init__(self, workers=(), delay=0.0):
        self.workers, self.delay = list(workers), delay

    async def ncores(self):
        import asyncio

        if self.delay is None:
            await asyncio.Event().wait()
        await asyncio.sleep(self.delay)
        return {address: 2 for address in self.workers}


class _FakeClient:
    """What ShardWatch asks of a client, with a scheduler of our own; `sync` honours
    `callback_timeout` as `Client.sync` does."""

    def __init__(self, scheduler, status="running"):
        self.scheduler, self.status = scheduler, status
        self.timeouts = []  # each sync's callback_timeout, in order

    def sync(self, function, callback_timeout=None):
        import asyncio

        self.timeouts.append(callback_timeout)
        return asyncio.run(asyncio.wait_for(function(), callback_timeout))

    def cancel(self, futures):
        pass


def test_no_worker_left_is_an_error_after_the_grace_time(monkeypatch):
    """A cluster whose workers are all gone: the watch gives up after `no_workers_seconds`
    rather than waiting for a worker that may never come (on a clock of the test's own)."""
    from seqlab.nlp.ngram import cluster_watch
    from seqlab.nlp.ngram.cluster_watch import ShardWatch, WorkerLostError

    clock = [1000.0]  # the watch's module alone reads it (asyncio keeps the real one)
    monkeypatch.setattr(cluster_watch, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    watch = ShardWatch(_FakeClient(_Scheduler()), ["0.txt bytes 0..9"], poll_seconds=0.0,
                       no_workers_seconds=60)
    watch.check("finding the vocabulary")  # the clock starts
    clock[0] += 59.5
    watch.check("finding the vocabulary")  # still within the grace
    clock[0] += 1.0
    with pytest.raises(WorkerLostError, match="no worker for 60 s while finding the vocabulary"):
        watch.check("finding the vocabulary")


def test_a_scheduler_that_stops_answering_is_one_error_after_the_answer_timeout():
    from seqlab.nlp.ngram.cluster_watch import ShardWatch, WorkerLostError

    client = _FakeClient(_Scheduler(["tcp://w:1"], delay=None))
    watch = ShardWatch(client, ["0.txt"], answer_seconds=0.3)
    with pytest.raises(WorkerLostError, match=r"^lost contact with the scheduler at "
                                              r"tcp://10.0.0.7:8786 \(it did not answer within "
                                              r"0.3 s\): it has stopped.*start it again.*rerun "
                                              r"the command; nothing was written$"):
        watch.check("counting order 2")
    # one question, given up on by the bound it carried (a scheduler that never answers):
    # proved by the recorded call and the message, without reading a clock (flaky under load)
    assert client.timeouts == [0.3]


def test_a_client_that_lost_its_scheduler_is_lost_contact_at_once():
    from seqlab.nlp.ngram.cluster_watch import ShardWatch, WorkerLostError

    for status in ("connecting", "closed"):
        watch = ShardWatch(_FakeClient(_Scheduler(["tcp://w:1"]), status), ["0.txt"])
        with pytest.raises(WorkerLostError, match=f"lost contact with the scheduler at "
                                                  f"tcp://10.0.0.7:8786 .the client is {status}"
                                                  f".*rerun the command"):
            watch.check("counting order 2")


def test_a_client_closed_after_the_watch_began_still_names_the_scheduler():
    """Dask's Client._close sets `client.scheduler` to None: the address is kept from the
    start of the watch."""
    from seqlab.nlp.ngram.cluster_watch import ShardWatch, WorkerLostError

    client = _FakeClient(_Scheduler(["tcp://w:1"]))
    watch = ShardWatch(client, ["0.txt"])
    client.scheduler, client.status = None, "closed"
    with pytest.raises(WorkerLostError, match=r"lost contact with the scheduler at "
                                              r"tcp://10\.0\.0\.7:8786 .the client is closed"):
        watch.check("counting order 2")


def test_a_wait_that_times_out_just_as_the_task_finishes_waits_again():
    """Future.result(timeout) can time out as the task finishes (done, status 'finished'):
    that is our wait's timeout, not a broken connection nor the task's error."""
    from seqlab.nlp.ngram.cluster_watch import ShardWatch

    class Future:
        status = "finished"
        waits = 0

        def done(self):
            return True

        def result(self, timeout=None):
            self.waits += 1
            if self.waits == 1:
                raise TimeoutError(f"timed out after {timeout} s.")
            return 7

    watch = ShardWatch(_FakeClient(_Scheduler(["tcp://w:1"])), ["0.txt"], poll_seconds=0.0,
                       comm_grace_seconds=0.2)
    assert watch.gather([Future()], "counting order 2") == [7]
