"""Batch-1 no-grad stacks on a unit-split team: the cost of the per-step barrier alone, and the
layer-by-layer loop (`units_stack_part`) against the wavefront (`units_stack_wave_part`) at
several lags, alternating in one process.

    uv run python benchmarks/units_wave.py --threads 2 --rounds 5
    uv run python benchmarks/units_wave.py --cell gru --hidden 512

Prints per-forward wall and process CPU time (median of rounds) for each variant.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
from numba import njit

from seqlab.autograd import no_grad, set_num_threads
from seqlab.autograd.kernels.spin_barrier import arrive_and_wait
from seqlab.autograd.nn import Embedding
from seqlab.autograd.threads import run_team
from seqlab.seqmodels import recurrent_units_team
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN


@njit(cache=True, nogil=True)
def _meet_only(flags, part, parts, meets):
    for met in range(1, meets + 1):
        arrive_and_wait(flags, part, parts, met)


def time_barrier(parts: int, meets: int, repeats: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of a team that only meets `meets` times."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run_team(parts, lambda part, count, flags: _meet_only(flags, part, count, meets))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--blocks", default="0,1,4,16", help="WAVE_BLOCK values; 0: per layer")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--forwards", type=int, default=30, help="timed forwards per round")
    args = parser.parse_args()
    set_num_threads(args.threads)
    print(f"{platform.processor() or platform.machine()}, threads {args.threads}, "
          f"{args.cell} {args.hidden} x {args.layers}, batch 1 x {args.steps}")
    meets = args.layers * (args.steps + 1)
    time_barrier(args.threads, meets, 20)
    wall, cpu = time_barrier(args.threads, meets, 200)
    print(f"barrier alone: {meets} meets {wall * 1e6:.0f} us wall, {cpu * 1e6:.0f} us CPU "
          f"({wall / meets * 1e6:.2f} us a meet)")

    stack_class = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[args.cell]
    embedding = Embedding(65, args.hidden, generator=0)
    stack = stack_class(args.hidden, args.hidden, args.layers, generator=1)
    ids = np.random.default_rng(0).integers(0, 65, (args.steps, 1))
    blocks = [int(b) for b in args.blocks.split(",")]
    outputs = {}
    results: dict[int, list[tuple[float, float]]] = {b: [] for b in blocks}
    with no_grad():
        for round_index in range(args.rounds + 1):
            for block in blocks:
                recurrent_units_team.WAVE_BLOCK = block
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(args.forwards):
                    out, _ = stack(embedding(ids))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                outputs[block] = out.data
                if round_index:  # round 0 compiles and warms up
                    results[block].append((wall / args.forwards, cpu / args.forwards))
    base = outputs[blocks[0]]
    for block in blocks:
        wall = statistics.median(r[0] for r in results[block])
        cpu = statistics.median(r[1] for r in results[block])
        gap = float(np.abs(outputs[block] - base).max())
        print(f"block {block:3d}: {wall * 1e6:7.0f} us wall ({args.steps / wall:7.0f} tokens/s)"
              f" {cpu * 1e6:7.0f} us CPU; max |out - block {blocks[0]}| {gap:.1e}")


if __name__ == "__main__":
    main()
