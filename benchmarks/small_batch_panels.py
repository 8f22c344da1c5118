"""The LSTM time loops' per-step product at batch 1-4: OpenBLAS against seqlab's panels.

Per step the forward computes h (N, H) @ W_hh^T (H, 4H): OpenBLAS's `W_hh @ h^T` (what the
loops call below `panels_pay`'s batch), `panel_gemm_packed_into` with the rows below a
multiple of ROWS one panel at a time (`_row_tile`, the tile before ROW_PANELS) and as it is
now (ROW_PANELS panels per row tile), and the one-off cost of packing W_hh^T into panels (per
layer call). Each product is repeated in a jitted loop; CPU time per product, median of
rounds. Run natively and under an AVX2 target (NUMBA_CPU_NAME=haswell, NUMBA_CPU_FEATURES,
OPENBLAS_CORETYPE=Haswell) to see both vector widths.

    uv run python benchmarks/small_batch_panels.py [--hidden 64,128,256] [--batch 1,2,3,4]
"""

import argparse
import statistics
import time

import numpy as np
from bench_common import print_machine_report
from numba import njit

from seqlab.autograd.kernels.cpu_features import target_cpu_name, vector_bytes
from seqlab.autograd.kernels.panel_gemm import (
    ROWS,
    _row_tile,
    _tile,
    pack_panels,
    panel_gemm_packed_into,
)


@njit(cache=True)
def blas_steps(w, h_t, out_t, repeats):
    for _ in range(repeats):
        np.dot(w, h_t, out_t)


@njit(cache=True)
def panels_steps(h, panels, out, repeats):
    for _ in range(repeats):
        panel_gemm_packed_into(h, panels, out)


@njit(cache=True)
def one_panel_rows_steps(h, panels, out, repeats):
    """panel_gemm_packed_into as it was: every row below a multiple of ROWS one panel at a time."""
    count, depth, width = panels.shape
    n_rows = h.shape[0]
    n_main = n_rows - n_rows % ROWS
    for _ in range(repeats):
        for p in range(count):
            target = out[:, p * width:(p + 1) * width]
            for n0 in range(0, n_main, ROWS):
                _tile(h, panels[p], target, n0, 0, depth)
            for n in range(n_main, n_rows):
                _row_tile(h, panels[p], target, n, 0, depth)


def per_call_us(run, arrays: tuple, repeats: int, rounds: int) -> float:
    """Median CPU microseconds of one call of `run(*arrays, repeats)` / repeats."""
    run(*arrays, 1)
    times = []
    for _ in range(rounds):
        start = time.process_time()
        run(*arrays, repeats)
        times.append((time.process_time() - start) / repeats * 1e6)
    return statistics.median(times)


def pack_repeatedly(b, repeats):
    for _ in range(repeats):
        pack_panels(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="32,64,128,256,512")
    parser.add_argument("--batch", default="1,2,3,4")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"Numba target {target_cpu_name()}, {vector_bytes()}-byte vectors; load {load}")
    print(f"{'H':>5} {'N':>3} {'blas us':>8} {'1-panel':>8} {'panels':>8} {'pack us':>8}")
    rng = np.random.default_rng(0)
    for hidden in (int(h) for h in args.hidden.split(",")):
        w = rng.standard_normal((4 * hidden, hidden)).astype(np.float32)
        repeats = max(20, int(2e8 / (8 * hidden * hidden)))
        pack = per_call_us(pack_repeatedly, (w.T,), max(5, repeats // 50), args.rounds)
        panels = pack_panels(w.T)
        for batch in (int(n) for n in args.batch.split(",")):
            h = rng.standard_normal((batch, hidden)).astype(np.float32)
            h_t = np.ascontiguousarray(h.T)
            out_t = np.empty((4 * hidden, batch), np.float32)
            out = np.empty((batch, panels.shape[0] * panels.shape[2]), np.float32)
            blas = per_call_us(blas_steps, (w, h_t, out_t), repeats, args.rounds)
            old = per_call_us(one_panel_rows_steps, (h, panels, out), repeats, args.rounds)
            new = per_call_us(panels_steps, (h, panels, out), repeats, args.rounds)
            print(f"{hidden:>5} {batch:>3} {blas:>8.2f} {old:>8.2f} {new:>8.2f} {pack:>8.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
