"""The LSTM loop with and without its saved activations under no_grad, alternating in one process.

The composed inference model of `composed_train.py` (Embedding(65, 256) -> LSTM(256, 256, 2) ->
Linear) runs forward under no_grad, alternately as before issue 11's second round ("saving":
the loop stores its activations as if a backward were to run) and as now ("lean"); `--cell gru`
runs a GRU stack instead.
Prints the medians of each and their ratio; run it with the thread count you want:

    OMP_NUM_THREADS=1 uv run python benchmarks/lean_inference.py --rounds 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from bench_common import print_machine_report
from composed_train import SeqlabRunner, describe

from seqlab.seqmodels import fused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="infer-b32,infer-b1", help="comma-separated")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds")
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm", help="the stack's cell")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    lean = fused._backward_may_run
    modes = {"saving": lambda ctx: True, "lean": lean}
    try:
        for config in args.configs.split(","):
            spec = {**describe(config), "cell": args.cell}
            runner = SeqlabRunner(spec, 65)
            inputs = np.random.default_rng(0).integers(0, 65, (spec["steps"], spec["batch"]))
            repeats = 5 if spec["batch"] > 1 else 40
            times: dict[str, list[float]] = {mode: [] for mode in modes}
            for _ in range(3):
                runner.step(inputs, None, None)
            for _ in range(args.rounds):
                for mode, choose in modes.items():
                    fused._backward_may_run = choose
                    start = time.perf_counter()
                    for _ in range(repeats):
                        runner.step(inputs, None, None)
                    times[mode].append((time.perf_counter() - start) / repeats * 1e3)
            saving, lean_ms = (statistics.median(times[mode]) for mode in modes)
            print(f"{config} ({args.cell}): saving {saving:.2f} ms, lean {lean_ms:.2f} ms, "
                  f"saving / lean {saving / lean_ms:.3f}; load average {os.getloadavg()}")
    finally:
        fused._backward_may_run = lean


if __name__ == "__main__":
    main()
