"""seqlab at 1 and 2 threads in ONE process, step by step alternating, at the points where the
last survey (BENCHMARKS.md, issue 11) found 2 threads slower than 1, and at the points where 2
threads win (the thread decision's other side): process CPU, critical path (the calling
thread's CPU outside team calls plus each team call's slowest task: the wall time on two free
cores) and wall, medians. Readable on a loaded machine (read the critical path and CPU):

    OMP_NUM_THREADS=2 uv run python benchmarks/thread_decision_points.py --steps 8
"""

from __future__ import annotations

import argparse
import statistics
import time

from composed_options import POINTS, SeqlabPoint, make_data
from composed_train import library_info, machine_info
from step_critical_path import TeamClock, timed_step
from threadpoolctl import threadpool_limits
from tree_ab import load_averages

LOSERS = ("edge-lstm-t512,edge-lstm-b2,opt-gru-128-f64,clf-lstm-256,clf-bigru-128,"
          "classify10k-bigru-128")
WINNERS = ("base-lstm,base-gru,base-rnn,lstm-256x2,base-lstm-b64,base-gru-b64,base-rnn-b64,"
           "lstm-256x2-b64")
EXTRA = {
    "base-lstm": {}, "base-gru": {"cell": "gru"}, "base-rnn": {"cell": "rnn"},
    "lstm-256x2": {"hidden": 256, "layers": 2},
    "base-lstm-b64": {"batch": 64}, "base-gru-b64": {"cell": "gru", "batch": 64},
    "base-rnn-b64": {"cell": "rnn", "batch": 64},
    "lstm-256x2-b64": {"hidden": 256, "layers": 2, "batch": 64},
}


def spec_of(name: str) -> dict:
    if name in POINTS:
        return POINTS[name]
    return {**POINTS["edge-lstm-b2"], "batch": 32, **EXTRA[name]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default=f"{LOSERS},{WINNERS}")
    parser.add_argument("--steps", type=int, default=6, help="timed steps a thread count")
    args = parser.parse_args()
    from seqlab.autograd import set_num_threads

    print(machine_info(), library_info("seqlab"), f"load {load_averages()}", flush=True)
    clock = TeamClock()
    print(f"{'point':<24} {'crit 1t':>8} {'crit 2t':>8} {'1t/2t':>6} {'cpu 1t':>8} {'cpu 2t':>8}"
          f" {'1t/2t':>6} {'wall 1t/2t':>10}  (ms a step, medians)")
    for name in args.points.split(","):
        spec = spec_of(name)
        runner = SeqlabPoint(spec)
        data = make_data(spec)
        rows: dict[int, list] = {1: [], 2: []}
        for step in range(2 * args.steps + 2):
            threads = (1, 2)[(step + step // 2) % 2]
            set_num_threads(threads)
            batch = next(data)
            # a 1-thread process's BLAS runs on 1 thread too (OMP_NUM_THREADS=1)
            blas = threadpool_limits(1 if threads == 1 else None, user_api="blas")
            wall = time.perf_counter()
            row = timed_step(runner, batch, clock)
            blas.restore_original_limits()
            row["wall"] = time.perf_counter() - wall
            if step >= 2:
                rows[threads].append(row)
        med = {t: {k: statistics.median(r[k] for r in rows[t]) * 1e3 for k in rows[t][0]}
               for t in rows}
        print(f"{name:<24} {med[1]['critical']:8.2f} {med[2]['critical']:8.2f}"
              f" {med[1]['critical'] / med[2]['critical']:6.2f} {med[1]['cpu']:8.2f}"
              f" {med[2]['cpu']:8.2f} {med[1]['cpu'] / med[2]['cpu']:6.2f}"
              f" {med[1]['wall'] / med[2]['wall']:10.2f}", flush=True)
    print(f"load {load_averages()}")


if __name__ == "__main__":
    main()
