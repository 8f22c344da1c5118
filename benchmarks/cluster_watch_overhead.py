"""What the `--cluster` watch's question to the scheduler costs: `ncores` (addresses and thread
counts, what `ShardWatch.workers` asks now) against `identity` (every worker's metrics, what it
asked before), alternated in one run on one LocalCluster.

Two figures: the question alone (median microseconds of wall and of this process's CPU, which
holds the LocalCluster's scheduler and the client, the two questions asked in turn; the reply's
pickled bytes), and a whole
`count_ngrams_dask` run with the watch asking one or the other (wall and CPU seconds).

    uv run python benchmarks/cluster_watch_overhead.py --workers 2 --rounds 5 \\
        --corpus /work/shared/data/tinyshakespeare.txt --copies 4
"""

from __future__ import annotations

import argparse
import logging
import pickle
import statistics
import tempfile
import time
from pathlib import Path

from bench_common import print_machine_report


def _ask_identity(self) -> list[str]:
    """`ShardWatch.workers` as it was: the scheduler's whole identity."""
    identity = self.client.sync(self.client.scheduler.identity,
                                callback_timeout=self.answer_seconds)
    return list(identity["workers"])


def _questions(client, calls: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU microseconds of one question of each kind, asked in turn (ABBA)
    `calls` times each."""
    names = ("identity", "ncores")
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for number in range(2 * calls):
        name = names[(number + number // 2) % 2]
        handler = getattr(client.scheduler, name)
        wall, cpu = time.perf_counter(), time.process_time()
        client.sync(handler, callback_timeout=10)
        walls[name].append(time.perf_counter() - wall)
        cpus[name].append(time.process_time() - cpu)
    return {name: (1e6 * statistics.median(walls[name]), 1e6 * statistics.median(cpus[name]))
            for name in names}


def _count(client, paths, how: str) -> tuple[float, float]:
    from seqlab.nlp.ngram import cluster_watch
    from seqlab.nlp.ngram.distributed import count_ngrams_dask
    from seqlab.nlp.ngram.sentences import LineTokens

    now = cluster_watch.ShardWatch.workers
    if how == "identity":
        cluster_watch.ShardWatch.workers = _ask_identity
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        count_ngrams_dask(client, paths, LineTokens("whitespace"), 5)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        cluster_watch.ShardWatch.workers = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", action="store_true",
                        help="workers as threads of this process, not processes")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=4, help="the corpus this many times")
    args = parser.parse_args()
    print_machine_report(isolated=True)

    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=not args.threads,
                           dashboard_address=None, silence_logs=logging.CRITICAL)
    client = Client(cluster)
    client.wait_for_workers(args.workers)
    with tempfile.TemporaryDirectory() as folder:
        text = args.corpus.read_bytes()
        paths = []
        for copy in range(args.copies):
            paths.append(Path(folder) / f"{copy}.txt")
            paths[-1].write_bytes(text)
        sizes = {name: len(pickle.dumps(client.sync(getattr(client.scheduler, name))))
                 for name in ("identity", "ncores")}
        results: dict[str, dict[str, list[float]]] = {
            name: {"q_wall": [], "q_cpu": [], "run_wall": [], "run_cpu": []}
            for name in ("identity", "ncores")}
        _count(client, paths, "ncores")  # warm: imports, compiled kernels on the workers
        for round_ in range(args.rounds):
            for name, (wall, cpu) in _questions(client, args.calls).items():
                results[name]["q_wall"].append(wall)
                results[name]["q_cpu"].append(cpu)
            order = ("identity", "ncores") if round_ % 2 == 0 else ("ncores", "identity")
            for name in order:  # which runs first changes each round
                wall, cpu = _count(client, paths, name)
                results[name]["run_wall"].append(wall)
                results[name]["run_cpu"].append(cpu)
    client.close()
    cluster.close()
    print(f"corpus {args.corpus} x {args.copies} ({args.copies * len(text) / 1e6:.1f} MB), "
          f"{args.workers} {'thread' if args.threads else 'process'} workers, {args.rounds} rounds "
          "alternated (ABBA)")
    print(f"{'question':9} {'reply B':>8} {'us wall':>8} {'us CPU':>8} "
          f"{'run s wall':>10} {'run s CPU':>9}")
    for name, figures in results.items():
        medians = {key: statistics.median(values) for key, values in figures.items()}
        print(f"{name:9} {sizes[name]:8d} {medians['q_wall']:8.0f} {medians['q_cpu']:8.0f} "
              f"{medians['run_wall']:10.2f} {medians['run_cpu']:9.2f}")
    ratio = {key: statistics.median(results["ncores"][key])
             / statistics.median(results["identity"][key]) for key in results["ncores"]}
    print("ncores / identity: " + ", ".join(f"{k} {v:.2f}" for k, v in ratio.items()))


if __name__ == "__main__":
    main()
