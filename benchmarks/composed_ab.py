"""`composed_train.py`'s compositions on this tree against a baseline tree, with PyTorch beside.

Each round, per thread count, runs `composed_train` workers one after the other: seqlab from
the baseline tree (PYTHONPATH set to its four `src` folders) and seqlab from this tree, in
turn first (old, new in odd rounds; new, old in even ones), then PyTorch when --peer-python is
given; the table gives medians over rounds of tokens/s (wall) and tokens per CPU-second,
new / old ratios (> 1: this tree is faster) and each tree's ratio to PyTorch. On a loaded
2-core machine the CPU ratio of the same code in both trees ranged 0.92-1.00 at 5 rounds of
20 steps (rnn-128x1 the widest): take several runs.

    git archive 94c8416 | tar -x -C /tmp/cells-base
    uv run python benchmarks/composed_ab.py --baseline-src /tmp/cells-base \\
        --peer-python /work/peers/bin/python --configs gru-128x1,rnn-128x1 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from cell_loops_ab import SRC_DIRS
from charlm_train import DEFAULT_CORPUS
from composed_train import describe, machine_info, spawn_worker


def worker(tree: Path | None, python: str, side: str, threads: int, args) -> dict:
    """`composed_train.spawn_worker` with PYTHONPATH naming `tree`'s source folders (None:
    this tree's install)."""
    saved = os.environ.get("PYTHONPATH")
    if tree is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = os.pathsep.join(str(tree / d) for d in SRC_DIRS)
    try:
        return spawn_worker(python, side, threads, args)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True,
                        help="a source tree (git archive <commit> | tar -x)")
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"),
                        help="python with torch (default $SEQLAB_PEER_PYTHON; none: no PyTorch)")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--configs", required=True, help="comma-separated")
    parser.add_argument("--threads", default="1,2", help="comma-separated OMP_NUM_THREADS")
    parser.add_argument("--steps", type=int, default=6, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=3, help="old/new/PyTorch rounds")
    args = parser.parse_args()
    for config in args.configs.split(","):
        describe(config)
    if not (args.baseline_src / SRC_DIRS[0]).is_dir():
        raise SystemExit(f"--baseline-src {args.baseline_src}: no {SRC_DIRS[0]} in it")
    machine = machine_info()
    print(f"CPU: {machine['cpu']}, {machine['cores']} usable cores; ISA: {machine['isa']}")
    for threads in (int(t) for t in args.threads.split(",")):
        runs = {"old": [], "new": [], "torch": []}
        trees = {"old": args.baseline_src, "new": None}
        for round_ in range(args.rounds):
            for side in ("old", "new") if round_ % 2 == 0 else ("new", "old"):
                runs[side].append(worker(trees[side], sys.executable, "seqlab", threads, args))
            if args.peer_python is not None:
                runs["torch"].append(worker(None, args.peer_python, "torch", threads, args))
        print(f"\n== OMP_NUM_THREADS={threads}, {args.rounds} round(s); tokens/s medians")
        rss = {side: statistics.median(r["peak_rss_mib"] for r in runs[side])
               for side in runs if runs[side]}
        print("worker peak RSS, MiB (median; a worker runs every config): "
              + ", ".join(f"{side} {value:.0f}" for side, value in rss.items()))
        print(f"{'config':<14} {'old':>8} {'new':>8} {'new/old':>7} {'cpu n/o':>7} "
              f"{'old/pt':>6} {'new/pt':>6} {'cpu old/pt':>10} {'cpu new/pt':>10}")
        for config in args.configs.split(","):
            wall = {side: statistics.median(r["configs"][config] for r in runs[side])
                    for side in runs if runs[side]}
            cpu = {side: statistics.median(r["cpu"][config] for r in runs[side])
                   for side in runs if runs[side]}
            peer, peer_cpu = wall.get("torch", float("nan")), cpu.get("torch", float("nan"))
            print(f"{config:<14} {wall['old']:>8,.0f} {wall['new']:>8,.0f} "
                  f"{wall['new'] / wall['old']:>6.3f}x {cpu['new'] / cpu['old']:>6.3f}x "
                  f"{wall['old'] / peer:>5.2f}x {wall['new'] / peer:>5.2f}x "
                  f"{cpu['old'] / peer_cpu:>9.2f}x {cpu['new'] / peer_cpu:>9.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
