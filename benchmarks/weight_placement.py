"""Where a stack's weights start in memory against the speed of a batch-1 no-grad call.

Where malloc puts a Parameter's array (0, 16, 32 or 48 bytes past a 64-byte line for float32)
is set by everything the process allocated before it, so it changes between processes and
source trees. This places every parameter of the composition's stack at each offset in turn
(copies, the same values), alternating the offsets over rounds inside one process, and prints
CPU time per call (p25 and median over every timed call), for this tree and, with
--baseline-src, for another tree's sources in a process of its own (PYTHONPATH). Also the raw
OpenBLAS product the loops call per step below the panels' batch (h @ W_hh^T) at each offset.

    uv run python benchmarks/weight_placement.py --baseline-src /tmp/base --threads 1
    uv run python benchmarks/weight_placement.py --config infer-gru-256x2-b1 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report
from cell_loops_ab import SRC_DIRS
from charlm_train import DEFAULT_CORPUS, load_corpus
from composed_train import SeqlabRunner, batches_for, describe
from tree_ab import load_averages

LINE = 64
OFFSETS = (0, 16, 32, 48)


def placed(array: np.ndarray, offset: int) -> np.ndarray:
    """A C-contiguous copy of `array` starting `offset` bytes past a 64-byte line."""
    raw = np.empty(array.nbytes + 2 * LINE, np.uint8)
    start = -raw.ctypes.data % LINE + offset
    copy = raw[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[...] = array
    return copy


def product_us(offset: int, hidden: int, repeats: int = 15, calls: int = 200) -> float:
    """Best CPU us of h (1, H) @ W^T for W (4H, H) float32 placed at `offset` (NumPy's BLAS)."""
    rng = np.random.default_rng(0)
    w = placed(rng.standard_normal((4 * hidden, hidden)).astype(np.float32), offset)
    h = rng.standard_normal((1, hidden)).astype(np.float32)
    out = np.empty((1, 4 * hidden), np.float32)
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            np.matmul(h, w.T, out=out)
        best = min(best, (time.process_time() - start) / calls * 1e6)
    return best


def run_worker(args: argparse.Namespace) -> dict:
    """Time the composition's no-grad call with its stack's weights at each offset."""
    from seqlab.autograd import Tensor

    chars, vocabulary = load_corpus(Path(args.corpus))
    spec = describe(args.config)
    runner = SeqlabRunner(spec, spec["vocab"] or len(vocabulary))
    batches = batches_for(spec, chars)
    inputs = [next(batches) for _ in range(8)]
    stack = runner.model.stack
    original = {name: p.data for name, p in stack.named_parameters()}
    seconds: dict[int, list[float]] = {offset: [] for offset in OFFSETS}
    for round_ in range(args.rounds):
        order = OFFSETS if round_ % 2 == 0 else OFFSETS[::-1]
        for offset in order:
            for name, parameter in stack.named_parameters():
                # Tensor's own slot: Parameter's setter would copy the array back onto a line
                Tensor.data.__set__(parameter, placed(original[name], offset))
            runner.step(*inputs[0])  # (the kept tables and panels follow the new arrays)
            for call in range(args.calls):
                start = time.process_time()
                runner.step(*inputs[call % len(inputs)])
                seconds[offset].append(time.process_time() - start)
    result = {}
    for offset, values in seconds.items():
        values.sort()
        result[str(offset)] = {"p25": values[len(values) // 4] * 1e6,
                               "median": statistics.median(values) * 1e6}
    result["product"] = {str(offset): product_us(offset, spec["hidden"]) for offset in OFFSETS}
    return result


def spawn(tree: Path | None, args: argparse.Namespace, threads: int) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}
    env["OMP_NUM_THREADS"] = str(threads)
    env.pop("PYTHONPATH", None)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(tree / d) for d in SRC_DIRS)
    command = [sys.executable, __file__, "--worker", "--config", args.config, "--rounds",
               str(args.rounds), "--calls", str(args.calls), "--corpus", args.corpus]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"worker failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="infer-b1", help="a composed_train configuration")
    parser.add_argument("--baseline-src", type=Path, help="another source tree (git archive)")
    parser.add_argument("--threads", default="1", help="comma-separated OMP_NUM_THREADS")
    parser.add_argument("--rounds", type=int, default=8, help="rounds over the offsets")
    parser.add_argument("--calls", type=int, default=15, help="timed calls per offset a round")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args)))
        return
    print_machine_report(isolated=True)
    trees = {"new": None}
    if args.baseline_src is not None:
        trees = {"old": args.baseline_src, "new": None}
    for threads in (int(t) for t in args.threads.split(",")):
        for side, tree in trees.items():
            result = spawn(tree, args, threads)
            calls = "  ".join(f"{offset}: {result[str(offset)]['p25']:.0f} / "
                              f"{result[str(offset)]['median']:.0f}" for offset in OFFSETS)
            products = "  ".join(f"{offset}: {result['product'][str(offset)]:.1f}"
                                 for offset in OFFSETS)
            print(f"{args.config} {side} OMP_NUM_THREADS={threads}: CPU us a call (p25 / median) "
                  f"by the weights' offset past a line  {calls}")
            print(f"    h @ W_hh^T alone, best us:  {products}")
        print(f"    load average: {load_averages()}", flush=True)


if __name__ == "__main__":
    main()
