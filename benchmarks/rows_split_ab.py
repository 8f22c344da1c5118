"""GRU / RNN training loops on two threads: one thread, or a team split by sequence?

`recurrent_loops.rows_team` splits a GRU or RNN training loop by sequence only from
`MIN_SPLIT_MACS` multiply-adds a sequence and step (G * H * H), an RNN loop also from
`MIN_PART_LOOP_MACS` a part's whole loop (`loop_rows_team`); under them the loop runs on one
thread while the second core waits. This script times the configuration sweep's training
points (`config_sweep.py`: x (T, N, F) -> stack -> Linear -> MSE, Adam, clipping, or any
`--shapes` cell/H/batch/F) with two threads set, in one process, alternating the thresholds
given for one of those settings (`--setting`, `--rules`; 0 splits whatever the size, as
`rows_split_pays` allows; or `MIN_SPLIT_PACK`, from which a weight packs into panels on
seqlab's threads, `around_products`), and prints per point and rule the median of each step's

- CPU ms (process time: both threads counted),
- critical-path ms: the main thread's CPU time with each split of seqlab's work (every
  `threads._run_at_once`) counted as its slowest task instead of the main thread's own: what
  the step's wall time is on two free cores, readable on a machine that other processes load
  (there a step's wall time is not),
- wall ms.

    OMP_NUM_THREADS=2 uv run python benchmarks/rows_split_ab.py \\
        --shapes rnn-base,rnn/96/32/40 --setting MIN_PART_LOOP_MACS \\
        --rules 4611686018427387904,8388608   # (2**62: never split by this rule)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from composed_train import library_info, machine_info
from config_sweep import BASE, SeqlabPoint, batch_arrays, describe

from seqlab.autograd import threads
from seqlab.seqmodels import around_products, recurrent_loops, rows_layer

# the thresholds this script alternates, and the module each lives in
SETTINGS = {"MIN_SPLIT_MACS": recurrent_loops, "MIN_PART_LOOP_MACS": recurrent_loops,
            "MIN_SPLIT_PACK": around_products, "MIN_FUSED_PARTS": rows_layer}

_splits: list[float] = [0.0, 0.0]  # (slowest task - main task) CPU seconds, this step


def _timed_run_at_once(original):
    def run(tasks):
        spent = [0.0] * len(tasks)

        def timed(index, task):
            def call():
                start = time.thread_time()
                task()
                spent[index] = time.thread_time() - start
            return call

        original([timed(index, task) for index, task in enumerate(tasks)])
        _splits[0] += max(spent) - spent[0]
    return run


def _steps(runner: SeqlabPoint, batches: list, count: int) -> tuple[float, float, float]:
    """Median (CPU ms, critical-path ms, wall ms) of `count` training steps."""
    cpus, paths, walls = [], [], []
    for index in range(count):
        _splits[0] = 0.0
        cpu, main, wall = time.process_time(), time.thread_time(), time.perf_counter()
        runner.step(*batches[index % 2])
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        paths.append(time.thread_time() - main + _splits[0])
    return tuple(statistics.median(values) * 1e3 for values in (cpus, paths, walls))


def _spec(shape: str) -> dict:
    """A point name of the sweep, or cell/H/batch/F around the sweep's base."""
    if "/" not in shape:
        return describe(shape)
    cell, hidden, batch, features = shape.split("/")
    return {**BASE, "cell": cell, "hidden": int(hidden), "batch": int(batch),
            "features": int(features)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="rnn-base,gru-h64,rnn-h64,rnn-b64")
    parser.add_argument("--setting", default="MIN_SPLIT_MACS", choices=list(SETTINGS))
    parser.add_argument("--rules", default="32768,0", help="the setting's values to alternate")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8, help="timed steps a round and rule")
    args = parser.parse_args()
    print(machine_info())
    print(library_info("seqlab"), f"; threads {threads.get_num_threads()}; load average "
          f"{os.getloadavg()[0]:.1f}")
    threads._run_at_once = _timed_run_at_once(threads._run_at_once)
    rules = [int(rule) for rule in args.rules.split(",")]
    print("shape            rule    CPU ms  path ms  wall ms   (ratios to the first rule: "
          "CPU, path, wall)")
    for shape in args.shapes.split(","):
        spec = _spec(shape)
        runner = SeqlabPoint(spec)
        rng = np.random.default_rng(0)
        batches = [batch_arrays(spec, rng) for _ in range(2)]
        times: dict[int, list] = {rule: [] for rule in rules}
        for _ in range(args.rounds):
            for rule in rules:
                setattr(SETTINGS[args.setting], args.setting, rule)
                runner.step(*batches[0])  # warm-up (and compiles on the first round)
                times[rule].append(_steps(runner, batches, args.steps))
        medians = {rule: [statistics.median(t[k] for t in times[rule]) for k in range(3)]
                   for rule in rules}
        first = medians[rules[0]]
        for rule in rules:
            cpu, path, wall = medians[rule]
            print(f"{shape:16s} {rule:>6.3g} {cpu:8.2f} {path:8.2f} {wall:8.2f}   "
                  f"{first[0] / cpu:.3f} {first[1] / path:.3f} {first[2] / wall:.3f}  load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
