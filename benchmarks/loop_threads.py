"""LSTM time loops on one thread vs a team of two: forward and backward, ms and speed-up.

The loops alone (no input projection or weight-gradient GEMMs), batch 32 x 64 steps, float32,
medians of --repeats calls back to back; a team of 2 splits the hidden units between two nogil
kernels that meet at a barrier every step (see seqlab.autograd.threads). Checks
that both give the same results first. The other side of the ratio is seqlab itself on one
thread: PyTorch's loop is not separable from its layer (see recurrent_kernels.py for that).

    uv run python benchmarks/loop_threads.py --sizes 128,256,512
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from types import SimpleNamespace

from bench_common import print_machine_report

# this machine's OPENBLAS_CORETYPE=Haswell halves OpenBLAS's float32 GEMM and its
# OPENBLAS_L2_SIZE=512 shrinks its blocking: use the native core and cache sizes
os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import numpy as np

from seqlab.autograd import set_num_threads
from seqlab.autograd.threads import seqlab_computing
from seqlab.seqmodels import recurrent_ops as ops

STEPS, BATCH = 64, 32


def median_ms(function, repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def time_size(hidden: int, repeats: int, rng: np.random.Generator) -> list[float]:
    """[forward 1 part, backward 1 part, forward 2 parts, backward 2 parts] in ms."""
    xg = rng.standard_normal((STEPS, BATCH, 4 * hidden), dtype=np.float32)
    h0, c0 = rng.standard_normal((2, BATCH, hidden), dtype=np.float32)
    w_hh = (rng.standard_normal((4 * hidden, hidden)) / np.sqrt(hidden)).astype(np.float32)
    d_out = rng.standard_normal((STEPS, BATCH, hidden), dtype=np.float32)
    lengths = np.full(BATCH, STEPS, np.int64)
    saved = SimpleNamespace(w_hh=w_hh, lengths=lengths, reverse=False)
    times, results = [], []
    for parts in (1, 2):
        forward = ops._lstm_forward(xg, h0, c0, w_hh, lengths, False, parts)
        backward = ops._lstm_backward(forward[3:], saved, d_out, h0, c0, parts)
        results.append([*forward, *backward])
        with seqlab_computing():
            times.append(median_ms(
                lambda parts=parts: ops._lstm_forward(xg, h0, c0, w_hh, lengths, False, parts),
                repeats))
            times.append(median_ms(
                lambda parts=parts, forward=forward: ops._lstm_backward(
                    forward[3:], saved, d_out, h0, c0, parts), repeats))
    for one, two in zip(*results):
        if one is not None:
            np.testing.assert_allclose(two, one, rtol=1e-4, atol=1e-5)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,256,512", help="hidden sizes")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    set_num_threads(2)
    print(f"LSTM loop, batch {BATCH} x {STEPS} steps, float32: median ms of {args.repeats} calls")
    print(f"{'H':>5} {'fwd 1':>8} {'fwd 2':>8} {'speed-up':>9} {'bwd 1':>8} {'bwd 2':>8} "
          f"{'speed-up':>9}")
    rng = np.random.default_rng(0)
    for hidden in (int(size) for size in args.sizes.split(",")):
        fwd1, bwd1, fwd2, bwd2 = time_size(hidden, args.repeats, rng)
        print(f"{hidden:>5} {fwd1:>8.2f} {fwd2:>8.2f} {fwd1 / fwd2:>8.2f}x {bwd1:>8.2f} "
              f"{bwd2:>8.2f} {bwd1 / bwd2:>8.2f}x")


if __name__ == "__main__":
    main()
