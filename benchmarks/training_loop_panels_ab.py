"""GRU / RNN training loops that run on one thread while two are set: BLAS or the panels.

A GRU or RNN training loop too small to split by sequence (`recurrent_loops.rows_team`) runs
on one thread at any thread count, and BLAS runs on one thread inside `seqlab_computing`; until
stop 20 such a loop took the packed panels only when one thread was set. This script times
the configuration sweep's training points (`config_sweep.py`: x (T, N, F) -> stack ->
Linear -> MSE, Adam, clipping) with two threads set, in one process, alternating the rule
before (`training=False`: BLAS) and after (the panels where `loop_panels_pay`), and prints
each point's median CPU and wall milliseconds a step and the ratios before / after:

    OMP_NUM_THREADS=2 uv run python benchmarks/training_loop_panels_ab.py \\
        --points gru-base,gru-h64,gru-b8,rnn-base,rnn-b8 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from composed_train import library_info, machine_info
from config_sweep import SeqlabPoint, batch_arrays, describe

from seqlab.seqmodels import recurrent_loops


def _steps(runner: SeqlabPoint, batches: list, count: int) -> tuple[float, float]:
    """Median (CPU ms, wall ms) of `count` training steps."""
    cpus, walls = [], []
    for index in range(count):
        cpu, wall = time.process_time(), time.perf_counter()
        runner.step(*batches[index % 2])
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(cpus) * 1e3, statistics.median(walls) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="gru-base,gru-h64,gru-b8,rnn-base,rnn-b8")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8, help="timed steps a round and rule")
    args = parser.parse_args()
    print(machine_info())
    print(library_info("seqlab"), f"; load average {os.getloadavg()[0]:.1f}")
    original = recurrent_loops._loop_panels

    def with_rule(rule: str):
        def panels(batch, depth, columns, w_hh, training=False):
            return original(batch, depth, columns, w_hh, training=training and rule == "after")
        return panels

    print("point        CPU ms before / after (ratio)   wall ms before / after (ratio)")
    for point in args.points.split(","):
        spec = describe(point)
        runner = SeqlabPoint(spec)
        rng = np.random.default_rng(0)
        batches = [batch_arrays(spec, rng) for _ in range(2)]
        rules = ("before", "after")
        times: dict[str, list] = {rule: [] for rule in rules}
        for _ in range(args.rounds):
            for rule in rules:
                recurrent_loops._loop_panels = with_rule(rule)
                runner.step(*batches[0])  # warm-up (and compiles on the first round)
                times[rule].append(_steps(runner, batches, args.steps))
        recurrent_loops._loop_panels = original
        cpu = {rule: statistics.median(t[0] for t in times[rule]) for rule in rules}
        wall = {rule: statistics.median(t[1] for t in times[rule]) for rule in rules}
        print(f"{point:12s} {cpu['before']:7.2f} / {cpu['after']:7.2f} "
              f"({cpu['before'] / cpu['after']:.3f})   {wall['before']:7.2f} / "
              f"{wall['after']:7.2f} ({wall['before'] / wall['after']:.3f})  load "
              f"{os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
