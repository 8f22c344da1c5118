"""A training LSTM loop split by hidden units (2 parts, a meet every step) against the same loop
on one thread, alternating in one process, at small batches: per loop, the critical path (the
slowest part's thread CPU, spin-waits included) and process CPU, medians. Sets
`recurrent_loops.MIN_UNITS_FORWARD_STEP_MACS` / `MIN_UNITS_BACKWARD_STEP_MACS`; readable under
load (read the critical path):

    OMP_NUM_THREADS=2 uv run python benchmarks/lstm_units_split_loops.py 8:128 1:512 --steps 64
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from composed_train import library_info, machine_info
from step_critical_path import TeamClock
from threadpoolctl import threadpool_limits
from tree_ab import load_averages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapes", nargs="+", help="batch:hidden")
    parser.add_argument("--steps", type=int, default=64, help="time steps a loop")
    parser.add_argument("--calls", type=int, default=16, help="timed calls a side")
    args = parser.parse_args()
    from seqlab.seqmodels.recurrent_loops import lstm_team_backward, lstm_team_forward

    print(machine_info(), library_info("seqlab"), f"load {load_averages()}", flush=True)
    clock = TeamClock()
    print(f"{'batch:H':<8} {'4NH^2':>9} {'fwd crit 1/2':>14} {'ratio':>6} {'bwd crit 1/2':>14}"
          f" {'ratio':>6} {'cpu 1/2 (fwd+bwd)':>18}  (us a loop, medians)")
    for shape in args.shapes:
        batch, hidden = (int(part) for part in shape.split(":"))
        rng = np.random.default_rng(0)
        xg = rng.standard_normal((args.steps, batch, 4 * hidden), dtype=np.float32)
        h0 = np.zeros((batch, hidden), np.float32)
        w_hh = rng.standard_normal((4 * hidden, hidden), dtype=np.float32) * 0.05
        d_out = rng.standard_normal((args.steps, batch, hidden), dtype=np.float32)
        lengths = np.full(batch, args.steps, np.int64)
        times: dict[int, list] = {1: [], 2: []}
        for call in range(2 * args.calls + 2):
            parts = (1, 2)[(call + call // 2) % 2]
            row = []
            # a 1-thread process's BLAS runs on 1 thread too (OMP_NUM_THREADS=1)
            blas = threadpool_limits(1 if parts == 1 else None, user_api="blas")
            for direction in ("fwd", "bwd"):
                clock.inside = clock.slowest = 0.0
                own, cpu = time.thread_time(), time.process_time()
                if direction == "fwd":
                    _, _, _, *acts = lstm_team_forward(xg, h0, h0.copy(), w_hh, lengths, False,
                                                       parts)
                else:
                    lstm_team_backward(tuple(acts), w_hh, lengths, False, d_out, h0, h0, parts)
                serial = time.thread_time() - own - clock.inside
                row += [serial + clock.slowest, time.process_time() - cpu]
            blas.restore_original_limits()
            if call >= 2:
                times[parts].append(row)
        med = {p: [statistics.median(r[i] for r in times[p]) * 1e6 for i in range(4)]
               for p in times}
        print(f"{shape:<8} {4 * batch * hidden * hidden:9d} {med[1][0]:6.0f}/{med[2][0]:<7.0f}"
              f" {med[1][0] / med[2][0]:6.2f} {med[1][2]:6.0f}/{med[2][2]:<7.0f}"
              f" {med[1][2] / med[2][2]:6.2f} {med[1][1] + med[1][3]:8.0f}/"
              f"{med[2][1] + med[2][3]:<8.0f}", flush=True)
    print(f"load {load_averages()}")


if __name__ == "__main__":
    main()
