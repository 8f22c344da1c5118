"""CPU time of one tensor-tensor binary op, same dtype and mixed (int64 with float32): the
cost of PyTorch's dtype rule in the binary-op path (a dtype identity check when the dtypes
agree; a cast of the integer operand when they differ).

Run:  uv run python benchmarks/binary_op_promotion.py [--baseline-src /tmp/base] [--rounds 3]
        [--peer-python /work/peers/bin/python]
Each side runs in its own process, alternating round by round; each prints the median CPU
time (time.process_time) per op over 5 blocks of 20000 ops on (16, 16) tensors.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench_common import print_machine_report
from tree_ab import load_averages, served_numbers

CASES = ["f32+f32 (grad)", "f32*f32 (grad)", "f32/f32", "f32+param", "f32+i64 (grad)"]


def _median_us(op) -> float:
    for _ in range(500):
        op()
    blocks = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(20000):
            op()
        blocks.append((time.process_time() - start) / 20000 * 1e6)
    return statistics.median(blocks)


def _serve(lib: str) -> None:
    import numpy as np

    if lib == "torch":
        import torch as ag
        from torch.nn import Parameter

        def tensor(array, requires_grad=False):
            return ag.tensor(array, requires_grad=requires_grad)
    else:
        import seqlab.autograd as ag
        from seqlab.autograd.nn import Parameter
        tensor = ag.tensor
    rng = np.random.default_rng(0)
    a = tensor(rng.random((16, 16), dtype=np.float32), requires_grad=True)
    b = tensor(rng.random((16, 16), dtype=np.float32))
    p = Parameter(tensor(rng.random((16, 16), dtype=np.float32))) if lib == "torch" else \
        Parameter(rng.random((16, 16), dtype=np.float32))
    i = tensor(np.arange(256).reshape(16, 16))
    ops = [lambda: a + b, lambda: a * b, lambda: b / b, lambda: a + p, lambda: a + i]
    print(" ".join(f"{_median_us(op):.3f}" for op in ops))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--baseline-src", help="a source tree to time as the baseline")
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.serve:
        return _serve(args.serve)
    print_machine_report(isolated=True)
    sides = {"seqlab": (sys.executable, "seqlab", None)}
    if args.baseline_src:
        sides["baseline"] = (sys.executable, "seqlab", args.baseline_src)
    if args.peer_python:
        sides["torch"] = (args.peer_python, "torch", None)
    print("load", load_averages())
    results: dict[str, list[list[float]]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, (python, role, src) in sides.items():
            results[name].append(served_numbers(python, __file__, role, src))
    print(f"{'case':16s}" + "".join(f"{name + ' us':>14s}" for name in sides))
    for k, case in enumerate(CASES):
        row = [statistics.median(r[k] for r in results[name]) for name in sides]
        print(f"{case:16s}" + "".join(f"{value:14.3f}" for value in row))


if __name__ == "__main__":
    main()
