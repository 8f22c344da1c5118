"""No-grad LSTM calls over raw features split across 2 threads: fixed halves of the batch
against chunks the threads claim, beside the one-thread call, in one process, alternating.

- one: the call on one thread (`set_num_threads(1)`);
- fixed: the batch split in fixed parts, each all its layers on one thread, the caller
  joining every part (`recurrent_inference._split_call`, the path before claimed chunks);
- claimed: threads claim chunks of 4 sequences through every layer from one counter, the
  caller waiting for a partner only while a chunk runs (`_claimed_call`).

`--late-us D` holds every partner thread back D microseconds before it starts its share (a
core woken from idle, or held by another process): the fixed split's call then takes D plus
half the work, the claimed one about half of (work + D) and never the partner's start.
Each point: LSTM(40, H) x layers -> Linear(H, 1), batch x 64 steps, float32, as the sweep's
`lstm-infer` points; medians of wall and process CPU time (both threads) over `--rounds`
alternating rounds of `--calls` calls. On a loaded machine read the CPU column and the p25
wall; the bits of the three are checked equal first.

    uv run python benchmarks/claimed_split.py --shapes 128x32,32x32,128x8,128x32x2
    uv run python benchmarks/claimed_split.py --shapes 128x32 --late-us 0,500,1500
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

from seqlab.autograd import Tensor, nn, no_grad, set_num_threads
from seqlab.autograd import threads as seqlab_threads
from seqlab.seqmodels import LSTM
from seqlab.seqmodels import recurrent_inference as inference

MODES = ("one", "fixed", "claimed")
FEATURES, STEPS = 40, 64


def _use(mode: str, claimed_call) -> None:
    set_num_threads(1 if mode == "one" else 2)
    inference._claimed_call = claimed_call if mode == "claimed" else (lambda *_: None)


def _hold_partners(late: list[float]) -> None:
    """Every team task off the calling thread waits late[0] seconds before it starts."""
    real = seqlab_threads._as_team_task
    caller = threading.get_ident()

    def held(task, errors=None):
        if threading.get_ident() != caller and late[0] > 0:
            time.sleep(late[0])  # (off the GIL, as a thread not yet woken; a Python spin
            # would hold the GIL the caller needs: 5 ms switch intervals)
        return real(task, errors)

    seqlab_threads._as_team_task = held


def run_point(hidden: int, batch: int, layers: int, args, late: list[float]) -> None:
    stack = LSTM(FEATURES, hidden, layers, generator=0)
    head = nn.Linear(hidden, 1)
    rng = np.random.default_rng(0)
    inputs = [Tensor(rng.standard_normal((STEPS, batch, FEATURES)).astype(np.float32))
              for _ in range(2)]
    claimed_call = inference._claimed_call

    def call(index: int) -> None:
        with no_grad():
            out, _ = stack(inputs[index % 2])
            head(out)

    outputs = {}
    for mode in MODES:
        _use(mode, claimed_call)
        with no_grad():
            outputs[mode] = stack(inputs[0])[0].data.copy()
    same = all(np.array_equal(outputs[mode], outputs["one"]) for mode in MODES)
    for delay in args.late_us:
        late[0] = delay * 1e-6
        walls: dict[str, list[float]] = {mode: [] for mode in MODES}
        cpus: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                _use(mode, claimed_call)
                for index in range(3):
                    call(index)
                for index in range(args.calls):
                    wall, cpu = time.perf_counter(), time.process_time()
                    call(index)
                    walls[mode].append(time.perf_counter() - wall)
                    cpus[mode].append(time.process_time() - cpu)
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"LSTM(40, {hidden}) x {layers}, batch {batch} x {STEPS}, partner late {delay} us "
              f"(load {load}; bits equal: {same})")
        for mode in MODES:
            ordered = sorted(walls[mode])
            print(f"  {mode:8s} wall median {statistics.median(ordered) * 1e6:8.0f} us"
                  f"  p25 {ordered[len(ordered) // 4] * 1e6:8.0f}"
                  f"  cpu median {statistics.median(cpus[mode]) * 1e6:8.0f}", flush=True)
    _use("claimed", claimed_call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="128x32,32x32,128x8",
                        help="comma-separated HIDDENxBATCH[xLAYERS]")
    parser.add_argument("--late-us", default="0", help="comma-separated partner delays (us)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    args.late_us = [int(value) for value in args.late_us.split(",")]
    if seqlab_threads.usable_cores() < 2:
        raise SystemExit("needs 2 usable cores")
    late = [0.0]
    _hold_partners(late)
    for shape in args.shapes.split(","):
        numbers = [int(part) for part in shape.split("x")]
        hidden, batch = numbers[:2]
        run_point(hidden, batch, numbers[2] if len(numbers) > 2 else 1, args, late)


if __name__ == "__main__":
    main()
