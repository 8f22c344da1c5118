"""Where a training (or no-grad) step of `composed_train`'s compositions goes on n threads:
its critical path by thread CPU time, readable on a loaded machine.

Every team call (`threads._run_at_once`: teams, split GEMMs, split elementwise work) is timed
by each task's own thread CPU time; the step's critical path is the calling thread's CPU
outside team calls (serial) plus, per team call, its slowest task (a team's spin-waits count
in its tasks: read them on a quiet machine). On two free cores the wall time of a step is
about this path (the quiet machine's ratios against PyTorch agree with it), while on a loaded
one the wall time says how much of a core the process got. Per call site (the three innermost
seqlab functions above the team) it prints the calls a step, the slowest task and the sum.

`--switch NAME` alternates, step by step in one process, this tree with one of its changes
turned off (`SWITCHES`), and prints both critical paths and CPU a step, medians:

    OMP_NUM_THREADS=2 uv run python benchmarks/step_critical_path.py --configs lm-lstm-256x2
    OMP_NUM_THREADS=2 uv run python benchmarks/step_critical_path.py --configs lm-lstm-256x2 \\
        --switch hh-grad-in-team --steps 30
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time
import traceback
from pathlib import Path

from bench_common import print_machine_report
from charlm_train import DEFAULT_CORPUS, load_corpus
from composed_train import SeqlabRunner, batches_for, describe, library_info, machine_info
from tree_ab import load_averages

# name -> (module, attribute, stand-in): the change turned off
SWITCHES = {
    # rows_hh_grad: dW_hh inside the loop's team (off: after it, as before)
    "hh-grad-in-team": ("seqlab.seqmodels.recurrent_loops", "hh_grad_in_team",
                        lambda *args: None),
}
_GLUE = {"_run_at_once", "run_team", "run_claiming", "<lambda>", "timed", "step", "__call__"}


class TeamClock:
    """Times every `threads._run_at_once` call by its tasks' thread CPU time."""

    def __init__(self) -> None:
        from seqlab.autograd import threads

        self.sites: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0])
        self.inside = 0.0  # the calling thread's CPU inside team calls
        self.slowest = 0.0  # the sum over team calls of their slowest task
        original = threads._run_at_once

        def run_at_once(tasks) -> None:
            times = [0.0] * len(tasks)

            def timed(index, task):
                def run() -> None:
                    start = time.thread_time()
                    try:
                        task()
                    finally:
                        times[index] = time.thread_time() - start
                return run

            start = time.thread_time()
            original([timed(i, task) for i, task in enumerate(tasks)])
            self.inside += time.thread_time() - start
            self.slowest += max(times)
            site = self.sites[self._site()]
            site[0] += 1
            site[1] += max(times)
            site[2] += sum(times)

        threads._run_at_once = run_at_once

    @staticmethod
    def _site() -> str:
        names = [frame.name for frame in traceback.extract_stack()[:-3]]
        return "/".join([name for name in names if name not in _GLUE][-3:])

    def reset(self) -> None:
        self.sites.clear()
        self.inside = self.slowest = 0.0


def timed_step(runner, batch, clock: TeamClock) -> dict[str, float]:
    """One step: process CPU, serial CPU (this thread outside team calls), critical path."""
    clock.inside = clock.slowest = 0.0
    start, cpu = time.thread_time(), time.process_time()
    runner.step(*batch)
    own = time.thread_time() - start
    serial = own - clock.inside
    return {"cpu": time.process_time() - cpu, "serial": serial,
            "critical": serial + clock.slowest}


def profile(config: str, runner, batches, clock: TeamClock, steps: int) -> None:
    clock.reset()
    rows = [timed_step(runner, next(batches), clock) for _ in range(steps)]
    print(f"\n{config}: per step, medians of {steps}: " + ", ".join(
        f"{key} {statistics.median(r[key] for r in rows) * 1e3:.2f} ms" for key in rows[0]))
    print(f"  {'calls':>6} {'slowest':>8} {'sum':>8}  team call site (ms a step)")
    for site, (calls, slowest, total) in sorted(clock.sites.items(), key=lambda kv: -kv[1][1]):
        print(f"  {calls / steps:6.1f} {slowest / steps * 1e3:8.2f} {total / steps * 1e3:8.2f}"
              f"  {site}")


def alternate(config: str, runner, batches, clock: TeamClock, steps: int, switch: str) -> None:
    import importlib

    module_name, attribute, stand_in = SWITCHES[switch]
    module = importlib.import_module(module_name)
    settings = {"on": getattr(module, attribute), "off": stand_in}
    rows: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for step in range(2 * steps):
        side = ("on", "off")[(step + step // 2) % 2]  # on off off on on off ...
        setattr(module, attribute, settings[side])
        runner.step(*next(batches))  # (the change's first step after a switch is untimed)
        rows[side].append(timed_step(runner, next(batches), clock))
    setattr(module, attribute, settings["on"])
    print(f"\n{config}, {switch} on / off alternating, medians of {steps} steps each:")
    for key in rows["on"][0]:
        on, off = (statistics.median(r[key] for r in rows[side]) for side in ("on", "off"))
        print(f"  {key:<9} on {on * 1e3:8.2f} ms  off {off * 1e3:8.2f} ms  off / on {off / on:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="lm-lstm-256x2", help="comma-separated")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--steps", type=int, default=10, help="timed steps (per side)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--switch", choices=sorted(SWITCHES), help="alternate with it off")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    machine = machine_info()
    print(f"CPU: {machine['cpu']}, {machine['cores']} usable cores; ISA: {machine['isa']}")
    print(library_info("seqlab"))
    chars, vocabulary = load_corpus(Path(args.corpus))
    clock = TeamClock()
    for config in args.configs.split(","):
        spec = describe(config)
        runner = SeqlabRunner(spec, spec["vocab"] or len(vocabulary))
        batches = batches_for(spec, chars)
        for _ in range(args.warmup):
            runner.step(*next(batches))
        if args.switch:
            alternate(config, runner, batches, clock, args.steps, args.switch)
        else:
            profile(config, runner, batches, clock, args.steps)
        print(f"  load average {load_averages()}")


if __name__ == "__main__":
    main()
