"""Narrow raw features (F < `around_products.MIN_DEPTH`) through the fed LSTM training forward
(`seqmodels.recurrent_fed`) against the projection and the loop apart: whole training steps of
an LSTM stack over (N, T, F) raw features (forward, the last step's sum as loss, backward), in
one process, the sides alternating. Both sides give the same bits (printed), so the
comparison is of time only. Threads from OMP_NUM_THREADS; on a loaded machine read the CPU
times (process time, both threads counted).

    OMP_NUM_THREADS=1 uv run python benchmarks/narrow_fed_ab.py --shapes 16/128/64/48/1,8/64/64/24/1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from bench_common import print_machine_report
from composed_train import machine_info

from seqlab.autograd import Tensor
from seqlab.seqmodels import LSTM, recurrent_ops
from seqlab.seqmodels.around_products import MIN_DEPTH

FED = recurrent_ops._fed_forward


def _apart_for_narrow(kind, x, *rest):
    """The rule before: narrow inputs never fed."""
    return None if x.shape[2] < MIN_DEPTH else FED(kind, x, *rest)


SIDES = {"apart": _apart_for_narrow, "fed": FED}


def _step(lstm: LSTM, x: Tensor) -> list[np.ndarray]:
    out, _ = lstm(x)
    out[:, x.shape[1] - 1].sum().backward()
    result = [out.data] + [parameter.grad for parameter in lstm.parameters()]
    for parameter in lstm.parameters():
        parameter.grad = None
    return result


def run_shape(features: int, hidden: int, batch: int, steps: int, layers: int,
              rounds: int, per_round: int) -> tuple[float, float, bool]:
    """(apart ms, fed ms, same bits) for one shape: median CPU ms of a whole step."""
    rng = np.random.default_rng(0)
    lstm = LSTM(features, hidden, layers, batch_first=True, generator=0)
    x = Tensor(rng.standard_normal((batch, steps, features)).astype(np.float32))
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    results = {}
    try:
        for round_ in range(rounds):
            order = ("apart", "fed") if round_ % 2 == 0 else ("fed", "apart")
            for side in order:
                recurrent_ops._fed_forward = SIDES[side]
                results[side] = [array.copy() for array in _step(lstm, x)]  # untimed
                for _ in range(per_round):
                    start = time.process_time()
                    _step(lstm, x)
                    times[side].append(time.process_time() - start)
    finally:
        recurrent_ops._fed_forward = FED
    same = all(np.array_equal(a, b) for a, b in zip(results["apart"], results["fed"],
                                                    strict=True))
    return (statistics.median(times["apart"]) * 1e3, statistics.median(times["fed"]) * 1e3,
            same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="16/128/64/48/1,8/64/64/24/1,40/128/32/64/1",
                        help="comma-separated F/H/N/T/layers")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps-per-round", type=int, default=5)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    print(machine_info())
    for shape in args.shapes.split(","):
        features, hidden, batch, steps, layers = (int(value) for value in shape.split("/"))
        apart, fed, same = run_shape(features, hidden, batch, steps, layers, args.rounds,
                                     args.steps_per_round)
        with open("/proc/loadavg") as handle:
            load = handle.read().split()[0]
        print(f"F/H/N/T/layers {shape}: apart {apart:.2f} ms, fed {fed:.2f} ms CPU, "
              f"apart / fed {apart / fed:.3f}, same bits {same}, load {load}", flush=True)


if __name__ == "__main__":
    main()
