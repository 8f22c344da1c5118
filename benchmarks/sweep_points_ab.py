"""Training steps of `config_sweep` points, several seqlab source trees side by side: CPU per step.

`config_sweep.py --baseline-src` reads a point's rate as the median of its steps, then the
median of three rounds: on the loaded 2-core machine one round's median moves by 5-10%, so a
3-round ratio of two trees reads a loss or a gain that is not there. This script runs the same
steps (`config_sweep.SeqlabPoint`, three warm-up steps, then `--steps` timed ones) in a fresh
process per tree and round, the trees in turn and the order reversed every other round, and
keeps per process the 10th percentile and the median of the steps' CPU time (process_time:
both threads at 2 threads) and wall time, and the minor page faults per steady step (a step
that faults in fresh memory pays for it in CPU time). The table gives the median over rounds
of each, the range, and the ratio to the first tree: many rounds, so the spread is visible
beside the effect.

    git -C /work/main archive 8945c8b | tar -x -C /tmp/start
    uv run python benchmarks/sweep_points_ab.py --points gru-base,rnn-base,lstm-base \\
        --rounds 8 start=/tmp/start now=.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

SRC_DIRS = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
            "apps/cli/src")
WARM_UP_STEPS = 3
KEYS = ("cpu", "wall", "faults")


def run_worker(points: list[str], steps: int) -> dict:
    """Per point: every timed step's CPU and wall microseconds and minor faults."""
    from config_sweep import SeqlabPoint, batch_arrays, describe

    result = {}
    for point in points:
        spec = describe(point)
        runner = SeqlabPoint(spec)
        rng = np.random.default_rng(0)  # the batches config_sweep's time_point draws
        batches = [batch_arrays(spec, rng) for _ in range(2)]
        for index in range(WARM_UP_STEPS):
            runner.step(*batches[index % 2])
        record: dict[str, list[float]] = {key: [] for key in KEYS}
        for index in range(steps):
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start, cpu_start = time.perf_counter(), time.process_time()
            runner.step(*batches[index % 2])
            record["wall"].append((time.perf_counter() - start) * 1e6)
            record["cpu"].append((time.process_time() - cpu_start) * 1e6)
            record["faults"].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
        result[point] = record
    return result


def spawn(root: Path, args: argparse.Namespace) -> dict:
    """One worker running the tree at `root`, OMP_NUM_THREADS=--threads; its JSON result."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}
    env["OMP_NUM_THREADS"] = str(args.threads)
    env["PYTHONPATH"] = os.pathsep.join(str(root.resolve() / part) for part in SRC_DIRS)
    command = [sys.executable, __file__, "--worker", "--points", args.points,
               "--steps", str(args.steps)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                               cwd=Path(__file__).parent)
    if completed.returncode != 0:
        raise SystemExit(f"worker for {root} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", help="NAME=PATH source trees; the first is the base")
    parser.add_argument("--points", default="gru-base,rnn-base,lstm-base",
                        help="comma-separated config_sweep points, run in turn in one process")
    parser.add_argument("--steps", type=int, default=60, help="timed steps per point")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of the workers")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    points = args.points.split(",")
    if args.worker:
        print(json.dumps(run_worker(points, args.steps)))
        return
    trees = [tree.split("=", 1) for tree in args.trees]
    if len(trees) < 2 or any(len(tree) != 2 for tree in trees):
        raise SystemExit("give two or more NAME=PATH trees")
    print_machine_report()
    stats = {name: {point: {f"{key} {kind}": [] for key in KEYS for kind in ("p10", "median")}
                    for point in points} for name, _ in trees}
    loads = []
    for round_index in range(args.rounds):
        for name, path in trees if round_index % 2 == 0 else trees[::-1]:
            for point, record in spawn(Path(path), args).items():
                for key in KEYS:
                    stats[name][point][f"{key} p10"].append(percentile(record[key], 0.1))
                    stats[name][point][f"{key} median"].append(statistics.median(record[key]))
        loads.append(Path("/proc/loadavg").read_text().split()[0])
        print(f"round {round_index + 1}/{args.rounds} done, load {loads[-1]}", flush=True)
    print(f"OMP_NUM_THREADS={args.threads}, {args.steps} timed steps a point, loads {loads}")
    print("medians over rounds of each process's statistic [range]; (ratio to the first tree)")
    base = trees[0][0]
    for point in points:
        for statistic in stats[base][point]:
            cells = []
            for name, _ in trees:
                values = stats[name][point][statistic]
                middle, first = statistics.median(values), statistics.median(
                    stats[base][point][statistic])
                ratio = f" ({middle / first:.3f})" if first else ""
                cells.append(f"{name} {middle:,.0f}{ratio} [{min(values):,.0f}-"
                             f"{max(values):,.0f}]")
            print(f"{point:<10} {statistic:<14} " + "; ".join(cells))


if __name__ == "__main__":
    main()
