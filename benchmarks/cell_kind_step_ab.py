"""One training step (forward + backward) of a 1-layer LSTM / GRU / RNN stack, in process, this
tree against a baseline tree: a check that a refactor moved no time.

Each round runs one worker process per tree (which goes first alternates), each timing the
median of its repeats per kind; the table shows medians over rounds of wall and CPU
(user+sys) time and the new/old ratios. Threads from OMP_NUM_THREADS (library defaults otherwise).

    git -C /work/main archive BASE | tar -x -C /tmp/base
    uv run python benchmarks/cell_kind_step_ab.py --baseline-src /tmp/base
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_common import print_machine_report

SRC_DIRS = ("packages/autograd/src", "packages/nlp/src", "packages/seqmodels/src",
            "apps/cli/src")
KINDS = ("lstm", "gru", "rnn")
STEPS, BATCH, FEATURES, HIDDEN = 50, 32, 64, 256


def worker(repeats: int) -> None:
    import numpy as np

    from seqlab.autograd import Tensor
    from seqlab.seqmodels.recurrent import build_stack

    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32)
    results = {}
    for cell in KINDS:
        stack = build_stack(cell, FEATURES, HIDDEN)

        def step(stack=stack):
            x = Tensor(x_data, requires_grad=True)
            out, _ = stack(x)
            (out * out).sum().backward()

        step()
        walls, cpus = [], []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        results[cell] = (statistics.median(walls), statistics.median(cpus))
    print(json.dumps(results))


def run_worker(tree: Path | None, repeats: int) -> dict:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(tree / d) for d in SRC_DIRS)
    out = subprocess.run([sys.executable, __file__, "--worker", "--repeats", str(repeats)],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.repeats)
        return
    if args.baseline_src is None or not (args.baseline_src / SRC_DIRS[0]).is_dir():
        raise SystemExit("--baseline-src: a tree with packages/autograd/src is needed")
    print_machine_report()
    trees = {"old": args.baseline_src, "new": None}
    runs = {name: [] for name in trees}
    for round_ in range(args.rounds):  # old first, then new first, ...
        for name in (("old", "new") if round_ % 2 == 0 else ("new", "old")):
            runs[name].append(run_worker(trees[name], args.repeats))
    print(f"T={STEPS} N={BATCH} F={FEATURES} H={HIDDEN}, float32, 1 layer; ms, median")
    print("cell   old wall  new wall  ratio   old cpu  new cpu  ratio")
    for cell in KINDS:
        old = [statistics.median(r[cell][i] for r in runs["old"]) * 1e3 for i in (0, 1)]
        new = [statistics.median(r[cell][i] for r in runs["new"]) * 1e3 for i in (0, 1)]
        print(f"{cell:5} {old[0]:9.2f} {new[0]:9.2f} {new[0] / old[0]:6.3f} "
              f"{old[1]:9.2f} {new[1]:8.2f} {new[1] / old[1]:6.3f}")
    print(f"load after {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
