"""Where a batch-1 no-grad forward's wall time goes at 2 threads against 1, in one process.

Embedding(65, H) -> LSTM(H, H, L) -> Linear(H, 65) at batch 1 x T under `no_grad` (composed
`infer-b1`), calls at 1 and 2 threads alternating (`set_num_threads`), and beside them the
pieces of a 2-thread call: the hand-off of a team call (`run_team` of parts that do nothing),
the team's L * (T + 1) meets alone, how late part 1 starts after part 0 (perf_counter at the
top of each part, in Python), the embedding and the head.

    OMP_NUM_THREADS=2 uv run python benchmarks/units_team_handoff.py --calls 300
    taskset -c 1 python3 -c 'while True: pass' &   # then the same: one core taken

Prints medians (and p10 / p90) of wall and process CPU (both threads) a call, in us, with the
load average before and after.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from bench_common import print_machine_report
from numba import njit

from seqlab.autograd import Tensor, nn, no_grad, set_num_threads
from seqlab.autograd.kernels.spin_barrier import arrive_and_wait
from seqlab.autograd.threads import run_team
from seqlab.seqmodels import LSTM


@njit(cache=True, nogil=True)
def _meet_only(flags, part, parts, meets):
    for met in range(1, meets + 1):
        arrive_and_wait(flags, part, parts, met)


def _load() -> str:
    with open("/proc/loadavg") as file:
        return file.read().split()[0]


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (f"{statistics.median(ordered) * 1e6:8.0f} "
            f"({pick(0.1) * 1e6:6.0f} - {pick(0.9) * 1e6:6.0f})")


def _count_taken_partners() -> list | None:
    """A list that grows by one at each call whose part 0 took its late partner's share
    (None on a tree without that path)."""
    from seqlab.seqmodels import recurrent_units_team

    real = getattr(recurrent_units_team, "_run_alone", None)
    if real is None:
        return None
    taken: list = []

    def counting(*args):
        taken.append(True)
        return real(*args)

    recurrent_units_team._run_alone = counting
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print_machine_report()
    print(f"LSTM {args.hidden} x {args.layers}, "
          f"batch 1 x {args.steps}; load {_load()}")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(65, args.hidden)
            self.stack = LSTM(args.hidden, args.hidden, args.layers)
            self.head = nn.Linear(args.hidden, 65)

        def forward(self, inputs):
            out, _ = self.stack(self.embedding(inputs))
            return self.head(out)

    model = Net()
    taken = _count_taken_partners()
    ids = np.random.default_rng(0).integers(0, 65, (args.steps, 1))
    embedded = model.embedding(ids).detach()
    top = Tensor(np.random.default_rng(1).standard_normal((args.steps, 1, args.hidden))
                 .astype(np.float32))
    meets = args.layers * (args.steps + 1)
    starts: list[float] = []

    def forward() -> None:
        with no_grad():
            model(ids)

    def noop_team() -> None:
        run_team(2, lambda part, parts, flags: None)

    def meet_team() -> None:
        run_team(2, lambda part, parts, flags: _meet_only(flags, part, parts, meets))

    def late_team() -> None:
        seen = [0.0, 0.0]

        def part_call(part, parts, flags):
            seen[part] = time.perf_counter()
            _meet_only(flags, part, parts, 1)

        run_team(2, part_call)
        starts.append(seen[1] - seen[0])

    def embedding() -> None:
        with no_grad():
            model.embedding(ids)

    def head() -> None:
        with no_grad():
            model.head(top)

    def stack_only() -> None:
        with no_grad():
            model.stack(embedded)

    pieces = {"forward 1t": (1, forward), "forward 2t": (2, forward),
              "stack 1t": (1, stack_only), "stack 2t": (2, stack_only),
              "hand-off (run_team no-op)": (2, noop_team), f"{meets} meets": (2, meet_team),
              "part 1 late start": (2, late_team), "embedding": (2, embedding),
              "head Linear": (2, head)}
    walls: dict[str, list[float]] = {name: [] for name in pieces}
    cpus: dict[str, list[float]] = {name: [] for name in pieces}
    for threads, call in pieces.values():  # compile and warm up
        set_num_threads(threads)
        for _ in range(10):
            call()
    starts.clear()
    for _ in range(args.calls):
        for name, (threads, call) in pieces.items():
            set_num_threads(threads)
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
    print(f"{'piece':28s} {'wall us median (p10 - p90)':>30s} {'CPU us median (p10 - p90)':>30s}")
    for name in pieces:
        if name == "part 1 late start":
            print(f"{name:28s} {_summary(starts):>30s}")
            continue
        print(f"{name:28s} {_summary(walls[name]):>30s} {_summary(cpus[name]):>30s}")
    one, two = statistics.median(walls["forward 1t"]), statistics.median(walls["forward 2t"])
    print(f"forward 1t / 2t wall {one / two:.2f}, CPU "
          f"{statistics.median(cpus['forward 1t']) / statistics.median(cpus['forward 2t']):.2f}; "
          f"load {_load()}")
    if taken is not None:
        print(f"calls whose part 0 took its late partner's share: {len(taken)} "
              f"(of {args.calls + 10} 2-thread forwards and as many stack calls)")


if __name__ == "__main__":
    main()
