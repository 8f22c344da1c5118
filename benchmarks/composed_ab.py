"""`composed_train.py`'s compositions on this tree against a baseline tree, with PyTorch beside.

Each round, per thread count, runs `composed_train` workers one after the other: seqlab from
the baseline tree (PYTHONPATH set to its four `src` folders) and seqlab from this tree, in
turn first (old, new in odd rounds; new, old in even ones), then PyTorch when --peer-python is
given; the table gives medians over rounds of tokens/s (wall) and tokens per CPU-second,
new / old ratios (> 1: this tree is faster) and each tree's ratio to PyTorch, of the median
step; then the same ratios of the rates over each worker's whole timed window (`win n/o`,
`win new/pt`: tokens over the timed steps' total time, what a long run gets; claims use these,
see `composed_train.py`) and each side's minor page faults a step (mean; medians over rounds).
`--timed-steps` (default 20) samples both of PyTorch's states (steps that fault in the memory
glibc gave back and steps that do not). On a loaded
2-core machine the CPU ratio of the same code in both trees ranged 0.92-1.00 at 5 rounds of
20 steps (rnn-128x1 the widest): take several runs.

    git archive 94c8416 | tar -x -C /tmp/cells-base
    uv run python benchmarks/composed_ab.py --baseline-src /tmp/cells-base \\
        --peer-python /work/peers/bin/python --configs gru-128x1,rnn-128x1 --rounds 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import composed_train
from bench_common import (
    SOURCE_DIRS,
    add_peer_python,
    alternate_rounds,
    median,
    print_machine_report,
    run_json_worker,
    thousands,
    worker_environment,
)
from charlm_train import DEFAULT_CORPUS
from composed_train import describe


def worker(tree: Path | None, python: str, side: str, threads: int, args) -> dict:
    """A `composed_train` worker with PYTHONPATH naming `tree`'s source folders (None: this
    tree's install)."""
    command = [python, composed_train.__file__, "--worker", side, "--configs", args.configs,
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--corpus", args.corpus]
    env = worker_environment(threads, tree)
    if tree is None:
        env.pop("PYTHONPATH", None)
    return run_json_worker(command, env, f"{side} worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True,
                        help="a source tree (git archive <commit> | tar -x)")
    add_peer_python(parser, "torch (none: no PyTorch)")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--configs", required=True, help="comma-separated")
    parser.add_argument("--threads", default="1,2", help="comma-separated OMP_NUM_THREADS")
    parser.add_argument("--timed-steps", "--steps", dest="steps", type=int, default=20,
                        help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=3, help="old/new/PyTorch rounds")
    args = parser.parse_args()
    for config in args.configs.split(","):
        describe(config)
    if not (args.baseline_src / SOURCE_DIRS[0]).is_dir():
        raise SystemExit(f"--baseline-src {args.baseline_src}: no {SOURCE_DIRS[0]} in it")
    print_machine_report()
    trees = {"old": args.baseline_src, "new": None, "torch": None}
    sides = ("old", "new", "torch") if args.peer_python is not None else ("old", "new")
    for threads in (int(t) for t in args.threads.split(",")):
        runs = alternate_rounds(args.rounds, sides, lambda side, n=threads: worker(
            trees[side], args.peer_python if side == "torch" else sys.executable,
            "torch" if side == "torch" else "seqlab", n, args), swap_first_two=True)
        print(f"\n== OMP_NUM_THREADS={threads}, {args.rounds} round(s); tokens/s medians")
        rss = {side: median(r["peak_rss_mib"] for r in runs[side]) for side in runs}
        print("worker peak RSS, MiB (median; a worker runs every config): "
              + ", ".join(f"{side} {value:.0f}" for side, value in rss.items()))
        print(f"{'config':<14} {'old':>8} {'new':>8} {'new/old':>7} {'cpu n/o':>7} "
              f"{'old/pt':>6} {'new/pt':>6} {'cpu old/pt':>10} {'cpu new/pt':>10} "
              f"{'win n/o':>7} {'win new/pt':>10} {'faults old/new/pt (mean)':>24}")
        for config in args.configs.split(","):
            print(table_row(config, runs), flush=True)


def table_row(config: str, runs: dict[str, list[dict]]) -> str:
    """One configuration's line: medians over rounds of each side's rates, their ratios
    (median step: wall, CPU; whole window: wall) and each side's mean faults a step."""
    def over_rounds(key: str) -> dict[str, float]:
        return {side: median(r[key][config] for r in runs[side]) for side in runs}

    wall, cpu, window = over_rounds("configs"), over_rounds("cpu"), over_rounds("window")
    faults = {side: median(r["faults"][config][1] for r in runs[side]) for side in runs}
    nan = float("nan")
    peer, peer_cpu, peer_window = (values.get("torch", nan) for values in (wall, cpu, window))
    fault_text = "/".join(thousands(faults[side]) for side in ("old", "new", "torch")
                          if side in faults)
    return (f"{config:<14} {wall['old']:>8,.0f} {wall['new']:>8,.0f} "
            f"{wall['new'] / wall['old']:>6.3f}x {cpu['new'] / cpu['old']:>6.3f}x "
            f"{wall['old'] / peer:>5.2f}x {wall['new'] / peer:>5.2f}x "
            f"{cpu['old'] / peer_cpu:>9.2f}x {cpu['new'] / peer_cpu:>9.2f}x "
            f"{window['new'] / window['old']:>6.3f}x {window['new'] / peer_window:>9.2f}x "
            f"{fault_text:>24}")


if __name__ == "__main__":
    main()
