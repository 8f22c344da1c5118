"""CPU time of one optimizer step (SGD with momentum, Adam) over 20 float32 (32, 32)
parameters: seqlab now, seqlab from another source tree (--baseline-src, e.g. the stop's
starting tree, for the cost of stamping each written parameter's version), and PyTorch.

Run:  uv run python benchmarks/optimizer_step.py [--baseline-src /tmp/base]
          [--peer-python /work/peers/bin/python] [--rounds 3]
Each side runs in its own process, the sides alternate round by round, and each prints the
median CPU time (user+sys, time.process_time) per step over 7 blocks of 300 steps; the table
gives medians over rounds and ratios to seqlab now. Threads: OMP_NUM_THREADS as set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench_common import print_machine_report
from tree_ab import cpu_model, load_averages, served_numbers

STEPS, BLOCKS, PARAMS, SHAPE = 300, 7, 20, (32, 32)


def _time_steps(step) -> float:
    for _ in range(50):
        step()
    blocks = []
    for _ in range(BLOCKS):
        start = time.process_time()
        for _ in range(STEPS):
            step()
        blocks.append((time.process_time() - start) / STEPS * 1e6)
    return statistics.median(blocks)


def _serve_seqlab() -> None:
    import numpy as np

    from seqlab.autograd import optim, tensor

    rng = np.random.default_rng(0)
    params = [tensor(rng.random(SHAPE, dtype=np.float32), requires_grad=True)
              for _ in range(PARAMS)]
    for param in params:
        param.grad = rng.random(SHAPE, dtype=np.float32)
    sgd, adam = optim.SGD(params, lr=1e-3, momentum=0.9), optim.Adam(params, lr=1e-3)
    print(_time_steps(sgd.step), _time_steps(adam.step))


def _serve_torch() -> None:
    import torch

    params = [torch.rand(SHAPE, requires_grad=True) for _ in range(PARAMS)]
    for param in params:
        param.grad = torch.rand(SHAPE)
    sgd = torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    adam = torch.optim.Adam(params, lr=1e-3)
    print(_time_steps(sgd.step), _time_steps(adam.step))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--baseline-src", help="a source tree to time as the baseline")
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.serve == "seqlab":
        return _serve_seqlab()
    if args.serve == "torch":
        return _serve_torch()
    print_machine_report(isolated=True)
    import numpy as np

    print(f"CPU {cpu_model()}; numpy {np.__version__}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
          f"load {load_averages()}")
    sides = {"seqlab": (sys.executable, "seqlab", None)}
    if args.baseline_src:
        sides["baseline"] = (sys.executable, "seqlab", args.baseline_src)
    if args.peer_python:
        sides["torch"] = (args.peer_python, "torch", None)
    results: dict[str, list[list[float]]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, (python, role, src) in sides.items():
            results[name].append(served_numbers(python, __file__, role, src))
    now = [statistics.median(r[k] for r in results["seqlab"]) for k in (0, 1)]
    print(f"{'side':10s} {'SGD us/step':>12s} {'ratio':>6s} {'Adam us/step':>13s} {'ratio':>6s}")
    for name, rounds in results.items():
        sgd, adam = (statistics.median(r[k] for r in rounds) for k in (0, 1))
        print(f"{name:10s} {sgd:12.1f} {sgd / now[0]:6.2f} {adam:13.1f} {adam / now[1]:6.2f}")
    print(f"load after {load_averages()}")
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    print(f"BLAS {blas.get('name')} {blas.get('version')}")


if __name__ == "__main__":
    main()
