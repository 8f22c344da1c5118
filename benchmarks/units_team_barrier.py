"""What the per-step barrier of the batch-1 unit-split team (`recurrent_units_team`) costs: a
team that only meets L * (T + 1) times (as a forward of an L-layer stack over T steps does),
beside the team's whole forward of Embedding(65, H) -> stack(H, H, L) under no_grad.

    uv run python benchmarks/units_team_barrier.py --threads 2
    uv run python benchmarks/units_team_barrier.py --cell gru --hidden 512

Prints medians of wall and process CPU time (both threads) per forward.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
from bench_common import print_machine_report
from numba import njit

from seqlab.autograd import no_grad, set_num_threads
from seqlab.autograd.kernels.spin_barrier import arrive_and_wait
from seqlab.autograd.nn import Embedding
from seqlab.autograd.threads import run_team
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN


@njit(cache=True, nogil=True)
def _meet_only(flags, part, parts, meets):
    for met in range(1, meets + 1):
        arrive_and_wait(flags, part, parts, met)


def _timed(call, repeats: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `call()`."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
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
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    set_num_threads(args.threads)
    print(f"{platform.machine()}, threads {args.threads}, {args.cell} {args.hidden} x "
          f"{args.layers}, batch 1 x {args.steps}")
    meets = args.layers * (args.steps + 1)

    def meet() -> None:
        run_team(args.threads, lambda part, parts, flags: _meet_only(flags, part, parts, meets))

    def nothing() -> None:
        run_team(args.threads, lambda part, parts, flags: None)

    stack_class = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[args.cell]
    embedding = Embedding(65, args.hidden, generator=0)
    stack = stack_class(args.hidden, args.hidden, args.layers, generator=1)
    ids = np.random.default_rng(0).integers(0, 65, (args.steps, 1))

    def forward() -> None:
        with no_grad():
            stack(embedding(ids))

    for call in (meet, nothing, forward):
        _timed(call, 10)  # compile, warm up
    for name, call in (("team start only", nothing), (f"{meets} meets", meet),
                       ("forward", forward)):
        wall, cpu = _timed(call, args.repeats)
        print(f"{name:16s} {wall * 1e6:8.0f} us wall {cpu * 1e6:8.0f} us CPU "
              f"({args.steps / wall:.0f} tokens/s)" if name == "forward" else
              f"{name:16s} {wall * 1e6:8.0f} us wall {cpu * 1e6:8.0f} us CPU")


if __name__ == "__main__":
    main()
