"""GFLOP/s of each product a product-bound training point runs, NumPy's BLAS beside PyTorch's.

For the LSTM points of `composed_options.py` that the survey called product-bound (deep
stacks, F 300 raw features, the 2 x 128 forecaster, PTB medium), every GEMM of one layer's
training step at the point's shapes (R = T*N rows, F the layer's input width, H hidden,
G = 4H): the step's h @ W_hh^T (N rows), the input projection x @ W_ih^T, dx = d @ W_ih, the
weight gradients d^T @ x and d^T @ h_prev, and one layout seqlab does not use: dW_ih and
dW_hh as ONE product d^T @ [x | h_prev] (the copy into one block not counted). Each product
runs in this process through NumPy (`np.matmul` with `out=`, seqlab's OpenBLAS) and in the
peer interpreter through `torch.mm` (MKL / oneDNN), one after the other, with the same
threads (OMP_NUM_THREADS); CPU time (process_time), the lower quartile of `--repeats` calls.
A reference square 1024^3 product gives the core's practical peak on each side.

    OMP_NUM_THREADS=1 uv run python benchmarks/product_rates.py --peer-python /work/peers/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time

import numpy as np
from bench_common import print_machine_report

# point: (rows R = T*N, batch N, input F, hidden H)
POINTS = {
    "fc-lstm-128x2-t48-b64 (layer 1)": (48 * 64, 64, 128, 128),
    "edge-lstm-128x4 (layers 1-3)": (64 * 32, 32, 128, 128),
    "edge-lstm-256x3 (layers 1-2)": (64 * 32, 32, 256, 256),
    "edge-lstm-f300": (50 * 32, 32, 300, 256),
    "ptb-medium (layer 1)": (35 * 20, 20, 650, 650),
}


def products(rows: int, batch: int, features: int, hidden: int) -> dict[str, tuple]:
    """name: (M, K, N, a transposed) of each product; a is (M, K), or (K, M) read as its
    transpose."""
    gates = 4 * hidden
    return {
        "step h @ W_hh^T": (batch, hidden, gates, False),
        "projection x @ W_ih^T": (rows, features, gates, False),
        "dx = d @ W_ih": (rows, gates, features, False),
        "dW_ih = d^T @ x": (gates, rows, features, True),
        "dW_hh = d^T @ h_prev": (gates, rows, hidden, True),
        "joint d^T @ [x | h_prev]": (gates, rows, features + hidden, True),
    }


def measure(backend: str, repeats: int) -> dict[str, dict[str, float]]:
    """GFLOP/s of every product of every point (and the square reference) on `backend`."""
    rng = np.random.default_rng(0)
    if backend == "torch":
        import torch

        def runner(a, b, transposed):
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            ta = ta.T if transposed else ta
            return lambda: torch.mm(ta, tb)
    else:
        def runner(a, b, transposed):
            left = a.T if transposed else a
            out = np.empty((left.shape[0], b.shape[1]), np.float32)
            return lambda: np.matmul(left, b, out=out)

    def rate(m, k, n, transposed):
        a = rng.standard_normal((k, m) if transposed else (m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        call = runner(a, b, transposed)
        times = []
        for _ in range(repeats):
            start = time.process_time()
            call()
            times.append(time.process_time() - start)
        times.sort()
        return 2 * m * k * n / max(times[len(times) // 4], 1e-9) / 1e9

    results = {"peak": {"square 1024^3": rate(1024, 1024, 1024, False)}}
    for point, shape in POINTS.items():
        results[point] = {name: rate(*spec) for name, spec in products(*shape).items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"),
                        help="python with torch installed (default $SEQLAB_PEER_PYTHON)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--worker", choices=["numpy", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.repeats)))
        return
    print_machine_report(isolated=True)
    with open("/proc/loadavg") as handle:
        load_before = handle.read().split()[:3]
    sides = {"numpy": measure("numpy", args.repeats)}
    if args.peer_python:
        done = subprocess.run([args.peer_python, __file__, "--worker", "torch", "--repeats",
                               str(args.repeats)], capture_output=True, text=True, check=True)
        sides["torch"] = json.loads(done.stdout.strip().splitlines()[-1])
    with open("/proc/loadavg") as handle:
        load_after = handle.read().split()[:3]
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; float32 GFLOP/s "
          f"(CPU time); load {' '.join(load_before)} -> {' '.join(load_after)}")
    print(f"{'point / product':58s} {'NumPy':>7s} {'torch':>7s}")
    for point, rates in sides["numpy"].items():
        print(point)
        for name, value in rates.items():
            peer = sides.get("torch", {}).get(point, {}).get(name)
            peer_text = f"{peer:7.0f}" if peer is not None else "      -"
            print(f"  {name:56s} {value:7.0f} {peer_text}")


if __name__ == "__main__":
    main()
