"""`Parameter.data`'s read and write costs, this tree against `--baseline-src`'s, and PyTorch's
`Parameter.data` read beside them: fresh processes alternating (this, baseline, torch), each
timing ns per read of `Parameter.data` and of a plain Tensor's `.data`, ns per write of
`.grad` and of `.data` (the same array: `p.data -= step`'s store), and us per Linear(16, 16)
batch-1 forward and backward (where the reads are the largest share of a step). timeit's best
of 5 repeats, then the median over processes.

    uv run python benchmarks/parameter_data_read.py --baseline-src /tmp/base-leftovers
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

from bench_common import print_machine_report
from cell_loops_ab import SRC_DIRS
from composed_train import machine_info
from tree_ab import load_averages

NUMBER = 200_000


def _best_ns(statement, number: int = NUMBER) -> float:
    return min(timeit.repeat(statement, number=number, repeat=5)) / number * 1e9


def seqlab_worker() -> dict:
    import numpy as np

    from seqlab.autograd import Tensor
    from seqlab.autograd.nn import Linear

    layer = Linear(16, 16)
    weight = layer.weight
    plain = Tensor(np.ones((16, 16), np.float32))
    x = Tensor(np.ones((1, 16), np.float32))
    array, grad = weight.data, np.zeros((16, 16), np.float32)

    def write_data() -> None:
        weight.data = array

    def write_grad() -> None:
        weight.grad = grad

    def step() -> None:
        layer(x).sum().backward()

    return {"parameter_read": _best_ns(lambda: weight.data),
            "tensor_read": _best_ns(lambda: plain.data),
            "data_write": _best_ns(write_data), "grad_write": _best_ns(write_grad),
            "linear_step_us": _best_ns(step, 2000) / 1000}


def torch_worker() -> dict:
    import torch

    layer = torch.nn.Linear(16, 16)
    weight = layer.weight
    x = torch.ones((1, 16))

    def step() -> None:
        layer(x).sum().backward()

    return {"parameter_read": _best_ns(lambda: weight.data),
            "linear_step_us": _best_ns(step, 2000) / 1000}


def spawn(side: str, tree: Path | None, torch_python: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(tree / d) for d in SRC_DIRS)
    python = torch_python if side == "torch" else sys.executable
    completed = subprocess.run([python, __file__, "--worker", side], env=env,
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{side} worker failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, help="another tree (git archive)")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--torch-python", default="/work/peers/bin/python")
    parser.add_argument("--worker", choices=("new", "old", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(torch_worker() if args.worker == "torch" else seqlab_worker()))
        return
    print_machine_report(isolated=True)
    machine = machine_info()
    print(f"CPU: {machine['cpu']}; ISA: {machine['isa']}; load {load_averages()}", flush=True)
    sides = {"new": None, **({"old": args.baseline_src} if args.baseline_src else {}),
             "torch": None}
    if not Path(args.torch_python).exists():
        sides.pop("torch")
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for process in range(args.processes):
        order = list(sides.items())
        for side, tree in order if process % 2 == 0 else order[::-1]:
            runs[side].append(spawn(side, tree, args.torch_python))
    for side, results in runs.items():
        medians = {key: statistics.median(r[key] for r in results) for key in results[0]}
        text = ", ".join(f"{key} {value:.1f}" for key, value in medians.items())
        print(f"{side}: {text}  (ns; linear_step in us; median of {len(results)} processes)",
              flush=True)
    print(f"load {load_averages()}")


if __name__ == "__main__":
    main()
