"""Softmax cross-entropy on a char-LM batch: (2048, 65) float32 logits, forward + backward.

Times, as medians over repeats (µs per call):
  kernel:    the fused Numba kernels alone (forward, backward);
  reference: the whole-array NumPy references of the same kernels;
  seqlab:    F.cross_entropy(...).backward() through autograd;
  torch:     torch.nn.functional.cross_entropy(...).backward() (peer, one thread).
Each for label_smoothing 0 and 0.1.

Run:  uv run python benchmarks/cross_entropy.py [--peer-python /work/peers/bin/python]
The PyTorch half runs in a subprocess (this script with --torch) under the peer interpreter
(default: $SEQLAB_PEER_PYTHON; skipped with a message when neither is given).
"""

from __future__ import annotations

import os

from bench_common import print_machine_report

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

ROWS, CLASSES = 2048, 65
SMOOTHINGS = (0.0, 0.1)


def median_microseconds(step: Callable[[], object], repeats: int = 30, inner: int = 20) -> float:
    """Median over `repeats` timings of `inner` calls, in µs per call."""
    for _ in range(inner * 2):
        step()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            step()
        timings.append((time.perf_counter() - start) / inner * 1e6)
    return statistics.median(timings)


def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((ROWS, CLASSES)) * 3).astype(np.float32)
    return logits, rng.integers(0, CLASSES, ROWS).astype(np.int64)


def run_torch() -> dict[str, float]:
    import torch

    torch.set_num_threads(1)
    logits_array, targets_array = batch()
    targets = torch.from_numpy(targets_array)
    results = {}
    for smoothing in SMOOTHINGS:
        logits = torch.from_numpy(logits_array).requires_grad_()

        def step(logits=logits, smoothing=smoothing) -> None:
            logits.grad = None
            torch.nn.functional.cross_entropy(logits, targets,
                                              label_smoothing=smoothing).backward()

        results[f"torch eps={smoothing}"] = median_microseconds(step)
    return results


def run_seqlab() -> dict[str, float]:
    import seqlab.autograd.nn.functional as F
    from seqlab.autograd import Tensor
    from seqlab.autograd.kernels import reference, softmax_cross_entropy

    logits_array, targets = batch()
    no_weight = np.empty(0, dtype=np.float32)
    probs = np.empty_like(logits_array)
    losses = np.empty(ROWS, dtype=np.float32)
    grad = np.empty_like(logits_array)
    row_grads = np.array([1.0 / ROWS], dtype=np.float32)
    results = {}
    for smoothing in SMOOTHINGS:
        for name, module in (("kernel", softmax_cross_entropy), ("reference", reference)):
            forward_args = (logits_array, targets, no_weight, -100, smoothing, probs, losses)
            backward_args = (probs, targets, no_weight, -100, smoothing, row_grads, grad)
            results[f"{name} forward eps={smoothing}"] = median_microseconds(
                lambda m=module, a=forward_args: m.softmax_cross_entropy_forward(*a))
            results[f"{name} backward eps={smoothing}"] = median_microseconds(
                lambda m=module, a=backward_args: m.softmax_cross_entropy_backward(*a))
        logits = Tensor(logits_array, requires_grad=True)

        def step(logits=logits, smoothing=smoothing) -> None:
            logits.grad = None
            F.cross_entropy(logits, targets, label_smoothing=smoothing).backward()

        results[f"seqlab eps={smoothing}"] = median_microseconds(step)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--torch", action="store_true", help="(internal) run the PyTorch half")
    args = parser.parse_args()
    if args.torch:
        print(json.dumps(run_torch()))
        return
    print_machine_report(isolated=True)
    ours = run_seqlab()
    theirs: dict[str, float] = {}
    if args.peer_python:
        output = subprocess.run([args.peer_python, __file__, "--torch"], check=True,
                                capture_output=True, text=True).stdout
        theirs = json.loads(output.strip().splitlines()[-1])
    else:
        print("no --peer-python (or $SEQLAB_PEER_PYTHON): skipping PyTorch", file=sys.stderr)
    print(f"softmax cross-entropy, ({ROWS}, {CLASSES}) float32, µs per call (median)")
    for smoothing in SMOOTHINGS:
        suffix = f"eps={smoothing}"
        kernel = ours[f"kernel forward {suffix}"] + ours[f"kernel backward {suffix}"]
        numpy_ref = ours[f"reference forward {suffix}"] + ours[f"reference backward {suffix}"]
        print(f"  label_smoothing={smoothing}")
        for part in ("forward", "backward"):
            k, r = ours[f"kernel {part} {suffix}"], ours[f"reference {part} {suffix}"]
            print(f"    kernel {part:8s} {k:8.1f}   NumPy reference {r:8.1f}   ratio {r / k:5.1f}x")
        print(f"    kernel fwd+bwd   {kernel:8.1f}   NumPy reference {numpy_ref:8.1f}   "
              f"ratio {numpy_ref / kernel:5.1f}x")
        seqlab = ours[f"seqlab {suffix}"]
        line = f"    F.cross_entropy + backward: seqlab {seqlab:8.1f}"
        if theirs:
            torch_time = theirs[f"torch {suffix}"]
            line += f"   torch {torch_time:8.1f}   seqlab/torch {seqlab / torch_time:5.2f}"
        print(line)


if __name__ == "__main__":
    main()
