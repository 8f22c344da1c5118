"""`seqlab ngram train --cluster`: a lost worker, an unreachable scheduler and a bad spec are
each one clear line and a non-zero exit, never a hang, a traceback or a changed --out."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys

import pytest
from inprocess import assert_one_line_failure, invoke

pytest.importorskip("dask.distributed", reason="Dask is not installed: install the extra "
                    "(uv sync --all-packages --extra distributed)")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(2):
        (folder / f"{i}.txt").write_text(
            "".join(f"line {j} about the {'cat' if j % 3 else 'dog'} and {(i * j) % 7} mats .\n"
                    for j in range(150)), encoding="utf-8")
    return folder


def test_a_worker_killed_mid_run_is_one_line_and_leaves_the_model_file_as_it_was(
        tmp_path, corpus, monkeypatch):
    from seqlab.nlp.ngram import distributed as cluster

    out = tmp_path / "model.arpa"
    assert invoke("ngram", "train", corpus, "--order", "3", "--out", out).returncode == 0
    before = out.read_bytes()
    send_keys = cluster._send_keys
    killed = []

    def kill_a_holder_then_send(client, shards, where, *args):
        if not killed:  # the order-2 keys are about to go out: the first shard's holder dies
            [pid] = client.run(os.getpid, workers=[where[0]]).values()
            os.kill(pid, signal.SIGKILL)
            killed.append(where[0])
        return send_keys(client, shards, where, *args)

    monkeypatch.setattr(cluster, "_send_keys", kill_a_holder_then_send)
    done = invoke("ngram", "train", corpus, "--order", "3", "--cluster", "local:2", "--out",
                  out)
    assert killed
    assert_one_line_failure(done, f"--cluster local:2: worker {killed[0]} left the cluster",
                            "shard 1 of 2", "rerun the command", "nothing was written")
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("seqlab-ngram-")]


def test_an_unreachable_scheduler_is_one_line_after_the_connect_timeout(tmp_path, corpus,
                                                                        monkeypatch):
    from seqlab.nlp.ngram import distributed as cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 1)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "model.arpa"
    done = invoke("ngram", "train", corpus, "--cluster", f"tcp://127.0.0.1:{port}", "--out",
                  out)
    assert_one_line_failure(done, f"--cluster tcp://127.0.0.1:{port}",
                            "no Dask scheduler answered within 1 s", "dask scheduler")
    assert not out.exists()


@pytest.mark.parametrize("spec,words", [
    ("local:0", ["local:N needs a worker count N from 1"]),
    ("local:two", ["local:N needs a worker count"]),
    ("local:100000", ["local:N needs a worker count"]),
    ("nonsense", ["not a scheduler address", "tcp://host:8786"]),
    ("http://host:1", ["not a scheduler address", "local:N"]),
    ("", ["give a scheduler address"]),
    ("tls://127.0.0.1:1", ["a tls:// scheduler needs Dask's TLS settings", "tcp://host:8786"]),
    ("ucx://127.0.0.1:1", ["ucx:// scheduler addresses are not supported"]),
])
def test_bad_cluster_specs_are_one_line(tmp_path, corpus, spec, words):
    out = tmp_path / "model.arpa"
    done = invoke("ngram", "train", corpus, "--cluster", spec, "--out", out)
    assert_one_line_failure(done, *words)
    assert not out.exists()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def scheduler_and_worker(tmp_path):
    """A real `dask scheduler` and one `dask worker` (2 threads), as separate processes."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    folder = tmp_path / "worker-tmp"
    folder.mkdir()
    env = {**os.environ, "TMPDIR": str(folder)}
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    processes = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port),
                                   "--dashboard-address", ":0"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "2",
         "--no-nanny", "--dashboard-address", ":0"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL))
    from dask.distributed import Client

    with Client(address, timeout="30s") as probe:
        probe.wait_for_workers(1, timeout=30)
    yield address, processes[0]
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_scheduler_killed_mid_run_is_one_line_and_dask_logs_are_kept_off_stderr(
        tmp_path, corpus, monkeypatch, scheduler_and_worker):
    from seqlab.nlp.ngram import distributed as cluster

    address, scheduler = scheduler_and_worker
    send_keys = cluster._send_keys
    levels = []

    def kill_the_scheduler_then_send(*args):
        levels.append(logging.getLogger("distributed.client").level)
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait()
        return send_keys(*args)

    monkeypatch.setattr(cluster, "_send_keys", kill_the_scheduler_then_send)
    out = tmp_path / "model.arpa"
    before = logging.getLogger("distributed.client").level
    before_root = logging.getLogger("distributed").level
    done = invoke("ngram", "train", corpus, "--order", "3", "--cluster", address, "--out",
                  out)
    assert levels == [logging.CRITICAL]  # Dask's reconnect errors kept off stderr
    # and after the failure too: the closed client still reconnects, and would log at exit
    assert logging.getLogger("distributed.client").level == logging.CRITICAL
    monkeypatch.undo()
    logging.getLogger("distributed.client").setLevel(before)
    logging.getLogger("distributed").setLevel(before_root)
    # the client may see the scheduler gone at once, or only when it does not answer
    assert_one_line_failure(done, f"--cluster {address}: ", "rerun the command")
    assert f"lost contact with the scheduler at {address} (" in done.stderr, done.stderr
    assert "start it again" in done.stderr
    assert not out.exists()


def test_a_scheduler_that_stops_answering_mid_run_is_one_line_naming_it(
        tmp_path, corpus, monkeypatch, scheduler_and_worker):
    """A frozen scheduler (here SIGSTOP: its connection stays open, so the client still
    says "running") is lost contact with the scheduler at its address, with what to do,
    after the answer timeout; an existing --out is left as it was."""
    import functools

    from seqlab.nlp.ngram import distributed as cluster
    from seqlab.nlp.ngram.cluster_watch import ShardWatch

    address, scheduler = scheduler_and_worker
    send_keys = cluster._send_keys
    stopped = []

    def stop_the_scheduler_then_send(*args):
        if not stopped:
            os.kill(scheduler.pid, signal.SIGSTOP)
            stopped.append(True)
        return send_keys(*args)

    monkeypatch.setattr(cluster, "_send_keys", stop_the_scheduler_then_send)
    # 8 s, not the default 30: short enough for the suite, long enough that a scheduler slowed
    # by a loaded machine still answers every question before it is frozen (at 2 s it once
    # did not, and the run ended before the freeze)
    monkeypatch.setattr(cluster, "ShardWatch", functools.partial(ShardWatch, answer_seconds=8))
    out = tmp_path / "model.arpa"
    assert invoke("ngram", "train", corpus, "--order", "2", "--out", out).returncode == 0
    older = out.read_bytes()  # a model seqlab wrote: the cluster run may replace it
    levels = (logging.getLogger("distributed.client").level,
              logging.getLogger("distributed").level)
    try:
        done = invoke("ngram", "train", corpus, "--order", "3", "--cluster", address, "--out",
                      out)
    finally:
        os.kill(scheduler.pid, signal.SIGCONT)
        monkeypatch.undo()
        logging.getLogger("distributed.client").setLevel(levels[0])
        logging.getLogger("distributed").setLevel(levels[1])
    assert stopped, done.stderr
    assert_one_line_failure(done, f"--cluster {address}: lost contact with the scheduler at "
                            f"{address} (it did not answer within 8 s): it has stopped or "
                            "cannot be reached; start it again", "rerun the command")
    assert out.read_bytes() == older


def test_a_corpus_file_the_workers_cannot_see_is_one_line_naming_it(tmp_path, corpus,
                                                                   monkeypatch):
    from seqlab.nlp.corpora import FileRange
    from seqlab.nlp.ngram import distributed as cluster

    shard_ranges = cluster.shard_ranges
    hidden = tmp_path / "only-on-the-client" / "0.txt"

    def ranges_on_a_path_the_workers_lack(paths, shards):
        # as if the client's path were not mounted on the workers
        return [[FileRange(str(hidden), r.start, r.stop) for r in group]
                for group in shard_ranges(paths, shards)]

    monkeypatch.setattr(cluster, "shard_ranges", ranges_on_a_path_the_workers_lack)
    out = tmp_path / "model.arpa"
    done = invoke("ngram", "train", corpus, "--order", "2", "--cluster", "local:2", "--out",
                  out)
    assert_one_line_failure(done, f"--cluster local:2: a worker could not read {hidden}",
                            "every worker must see the corpus at the same path")
    assert not out.exists()


def test_dask_logs_stay_quiet_in_a_process_that_had_not_imported_dask_yet():
    """Importing distributed sets its loggers' levels: quieting them must come after."""
    code = ("import logging\n"
            "from seqlab.cli.commands.ngram import quiet_dask_logs\n"
            "with quiet_dask_logs():\n"
            "    import distributed.client\n"
            "    print(logging.getLogger('distributed.client').getEffectiveLevel())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(logging.CRITICAL)]
