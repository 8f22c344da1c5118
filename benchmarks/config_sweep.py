"""Configurations no issue names, seqlab vs PyTorch CPU side by side: where is seqlab slow?

Each point is a recurrent stack over raw float features, as a forecaster or a classifier over
measurements composes it (no Embedding: the layer's input product is a real GEMM):

    x (T, N, F) float -> {LSTM, GRU, RNN}(F, H, L, dropout, bidirectional, batch_first)
                      -> Linear(H * directions, 1) -> MSE against random targets

trained with Adam(1e-3) and clip_grad_norm_(5), a fresh state per batch, or run forward only
under no_grad (`infer` points). Library defaults on both sides: no `set_num_threads` call, each
worker gets OMP_NUM_THREADS=n and nothing else.

The grid varies one thing at a time around a base point (H 128 x 1, batch 32, 64 steps, 40
features, float32, time-major, training), for each cell:

- `h32`, `h64`, `h512`, `h1024` (1 layer), `h128x3` (3 layers);
- `b1`, `b4`, `b8`, `b64`, `b128` (batch), `t8`, `t16`, `t256` (sequence length);
- `bidir` (no lengths), `bidir-len` (per-sequence lengths, `sequence_lengths`; PyTorch packs
  them: `pack_padded_sequence(enforce_sorted=False)`, `pad_packed_sequence`), `drop` (3 layers
  of 128, dropout 0.2 between them), `bfirst` (batch_first=True), `f1`, `f3`, `f8`, `f100`
  (input size 1, 3, 8, 100), `f64` (float64);
- `infer`, `infer-b1`, `infer-b8`, `infer-h32`, `infer-h512`, `infer-bidir`,
  `infer-bidir-len`, `infer-bidir-b4`: forward under no_grad.

A point is `<cell>-<variant>` (`lstm-base`, `gru-b1`, `rnn-infer-h512`). Rates are sequence
elements (batch x steps) per second, the median of a point's timed steps; each point runs about
`--seconds` after three warm-up steps (at least 5 timed steps: `time_point`). Rounds alternate
seqlab and PyTorch processes; the table shows the median over rounds and ratio = seqlab /
PyTorch (wall, and CPU time: process_time, both threads counted at 2 threads), then `window` /
`w cpu`: the same ratios of each worker's rate over its whole timed window (elements over the
timed steps' total time: a long run's throughput, what claims and the `<1` flag read; see
`composed_train.py`) and each side's minor page faults a step (`faults`, mean). Sweep coarsely
(1 round) to find the points under 1.0x, then rerun those points with more rounds:

    uv run python benchmarks/config_sweep.py --peer-python /work/peers/bin/python --rounds 1
    uv run python benchmarks/config_sweep.py --peer-python /work/peers/bin/python \\
        --points lstm-b1,gru-h32 --threads 1,2 --rounds 3
    uv run python benchmarks/config_sweep.py ... --baseline-src /tmp/base   # + a baseline tree

With `--baseline-src DIR` a third process per round runs seqlab from DIR's source tree
(packages/*/src on PYTHONPATH), so before / after / PyTorch alternate in one run.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time

import numpy as np
from bench_common import (
    add_peer_python,
    alternate_rounds,
    emit_result,
    library_info,
    load_averages,
    median,
    print_machine_report,
    ratio,
    require_peer_python,
    run_json_worker,
    thousands,
    time_steps,
    worker_environment,
)

CELLS = ("lstm", "gru", "rnn")
BASE = {"hidden": 128, "layers": 1, "batch": 32, "steps": 64, "features": 40,
        "bidirectional": False, "dropout": 0.0, "batch_first": False, "dtype": "float32",
        "mode": "train", "lengths": False}
VARIANTS = {
    "base": {},
    "h32": {"hidden": 32}, "h64": {"hidden": 64}, "h512": {"hidden": 512},
    "h1024": {"hidden": 1024}, "h128x3": {"layers": 3},
    "b1": {"batch": 1}, "b4": {"batch": 4}, "b8": {"batch": 8}, "b64": {"batch": 64},
    "b128": {"batch": 128},
    "t8": {"steps": 8}, "t16": {"steps": 16}, "t256": {"steps": 256},
    "bidir": {"bidirectional": True},
    "bidir-len": {"bidirectional": True, "lengths": True},
    "infer-bidir": {"mode": "infer", "bidirectional": True},
    "infer-bidir-len": {"mode": "infer", "bidirectional": True, "lengths": True},
    "infer-bidir-b4": {"mode": "infer", "bidirectional": True, "batch": 4},
    "drop": {"layers": 3, "dropout": 0.2},
    "bfirst": {"batch_first": True}, "f1": {"features": 1}, "f3": {"features": 3},
    "f8": {"features": 8}, "f100": {"features": 100}, "f64": {"dtype": "float64"},
    "infer": {"mode": "infer"}, "infer-b1": {"mode": "infer", "batch": 1},
    "infer-b8": {"mode": "infer", "batch": 8}, "infer-h32": {"mode": "infer", "hidden": 32},
    "infer-h512": {"mode": "infer", "hidden": 512},
}
LEARNING_RATE, CLIP_NORM = 1e-3, 5.0


def all_points() -> list[str]:
    return [f"{cell}-{variant}" for cell in CELLS for variant in VARIANTS]


def describe(point: str) -> dict:
    """The full specification of a point name."""
    cell, _, variant = point.partition("-")
    if cell not in CELLS or variant not in VARIANTS:
        raise SystemExit(f"unknown point {point!r}: <cell>-<variant>, cell in {CELLS}, "
                         f"variant in {tuple(VARIANTS)}")
    return {**BASE, **VARIANTS[variant], "cell": cell}


def batch_arrays(spec: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) of one batch in the point's layout and dtype."""
    steps, batch, features = spec["steps"], spec["batch"], spec["features"]
    shape = (batch, steps) if spec["batch_first"] else (steps, batch)
    inputs = rng.standard_normal((*shape, features)).astype(spec["dtype"])
    targets = rng.standard_normal((*shape, 1)).astype(spec["dtype"])
    return inputs, targets


def sequence_lengths(spec: dict) -> np.ndarray | None:
    """A `lengths` point's per-sequence lengths, drawn once from [T / 2, T] (None without)."""
    if not spec["lengths"]:
        return None
    steps = spec["steps"]
    return np.random.default_rng(1).integers(max(steps // 2, 1), steps + 1, size=spec["batch"])


class SeqlabPoint:
    """One point on seqlab, composed as a user writes it."""

    def __init__(self, spec: dict) -> None:
        from seqlab.autograd import Tensor, nn, no_grad, optim
        from seqlab.autograd.nn import functional, utils
        from seqlab.seqmodels import GRU, LSTM, RNN

        stack_class = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[spec["cell"]]
        directions = 2 if spec["bidirectional"] else 1
        self.stack = stack_class(spec["features"], spec["hidden"], spec["layers"],
                                 batch_first=spec["batch_first"], dropout=spec["dropout"],
                                 bidirectional=spec["bidirectional"])
        self.head = nn.Linear(spec["hidden"] * directions, 1)
        if spec["dtype"] == "float64":
            self.stack.double()
            self.head.double()
        self.parameters = [*self.stack.parameters(), *self.head.parameters()]
        self.optimizer = optim.Adam(self.parameters, lr=LEARNING_RATE)
        self.spec, self.tensor, self.no_grad = spec, Tensor, no_grad
        self.functional, self.clip = functional, utils.clip_grad_norm_
        self.lengths = sequence_lengths(spec)

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        x = self.tensor(inputs)
        if self.spec["mode"] == "infer":
            with self.no_grad():
                out, _ = self.stack(x, lengths=self.lengths)
                self.head(out)
            return
        out, _ = self.stack(x, lengths=self.lengths)
        loss = self.functional.mse_loss(self.head(out), targets)
        loss.backward()
        self.clip(self.parameters, CLIP_NORM)
        self.optimizer.step()
        self.optimizer.zero_grad()


class TorchPoint:
    """The same point on PyTorch."""

    def __init__(self, spec: dict) -> None:
        import torch

        torch.manual_seed(0)
        stack_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
        directions = 2 if spec["bidirectional"] else 1
        self.stack = stack_class[spec["cell"]](spec["features"], spec["hidden"], spec["layers"],
                                               batch_first=spec["batch_first"],
                                               dropout=spec["dropout"],
                                               bidirectional=spec["bidirectional"])
        self.head = torch.nn.Linear(spec["hidden"] * directions, 1)
        if spec["dtype"] == "float64":
            self.stack.double()
            self.head.double()
        self.parameters = [*self.stack.parameters(), *self.head.parameters()]
        self.optimizer = torch.optim.Adam(self.parameters, lr=LEARNING_RATE)
        self.torch, self.spec = torch, spec
        lengths = sequence_lengths(spec)
        self.lengths = None if lengths is None else torch.from_numpy(lengths)

    def run_stack(self, x):
        """The stack's output over x, through a packed sequence when the point has lengths."""
        if self.lengths is None:
            return self.stack(x)[0]
        rnn_utils = self.torch.nn.utils.rnn
        packed = rnn_utils.pack_padded_sequence(x, self.lengths, self.spec["batch_first"],
                                                enforce_sorted=False)
        out, _ = self.stack(packed)
        return rnn_utils.pad_packed_sequence(out, self.spec["batch_first"],
                                             total_length=self.spec["steps"])[0]

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        torch = self.torch
        x = torch.from_numpy(inputs)
        if self.spec["mode"] == "infer":
            with torch.no_grad():
                self.head(self.run_stack(x))
            return
        out = self.run_stack(x)
        loss = torch.nn.functional.mse_loss(self.head(out), torch.from_numpy(targets))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters, CLIP_NORM)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


WARM_UP_STEPS = 3  # the first loads kernels; seqlab's workspace cache settles by the third


def time_point(runner, spec: dict, seconds: float) -> dict[str, float]:
    """Elements/s and faults a step (`TimedSteps.summary`: median step and whole window, wall
    and CPU): `WARM_UP_STEPS` untimed steps, then ~`seconds` of steady steps (at least 5, at
    most 60), sized from the last warm-up step.

    The first step loads the kernels (seconds), and seqlab's next two still fault in part of
    the workspace cache's blocks (it keeps no more than the step's peak, so it settles over
    a few steps): sizing the count from the first step timed 3 steps, whose median was a
    warming one (lstm-base read 0.81-0.94x a tree without that bound, not the steady step).
    """
    rng = np.random.default_rng(0)
    batches = [batch_arrays(spec, rng) for _ in range(2)]
    for index in range(WARM_UP_STEPS):
        start = time.perf_counter()
        runner.step(*batches[index % 2])
        last = time.perf_counter() - start
    count = min(60, max(5, math.ceil(seconds / max(last, 1e-4))))
    timed = time_steps(lambda batch: runner.step(*batch), itertools.cycle(batches), count)
    return timed.summary(spec["batch"] * spec["steps"])


def run_worker(side: str, args: argparse.Namespace) -> dict:
    """Time every point on one library in this process."""
    runner_class = TorchPoint if side == "torch" else SeqlabPoint
    library_info("torch" if side == "torch" else "seqlab")
    results: dict = {"wall": {}, "cpu": {}, "window": {}, "window_cpu": {}, "faults": {},
                     "errors": {}}
    for point in args.points.split(","):
        spec = describe(point)
        try:
            rates = time_point(runner_class(spec), spec, args.seconds)
        except Exception as error:  # a point that fails is reported, not fatal
            results["errors"][point] = f"{type(error).__name__}: {error}"
            continue
        results["wall"][point], results["cpu"][point] = rates["wall"], rates["cpu"]
        results["window"][point] = rates["window_wall"]
        results["window_cpu"][point] = rates["window_cpu"]
        results["faults"][point] = rates["faults_mean"]
    results["library"] = library_info("torch" if side == "torch" else "seqlab")
    return results


def spawn_worker(python: str, side: str, threads: int, args: argparse.Namespace,
                 source: str | None = None) -> dict:
    """This file as a worker under `python` with OMP_NUM_THREADS=threads (seqlab from the
    tree `source` where given); its JSON result."""
    command = [python, __file__, "--worker", "torch" if side == "torch" else "seqlab",
               "--points", args.points, "--seconds", str(args.seconds)]
    return run_json_worker(command, worker_environment(threads, source), f"{side} worker")


def median_of(rounds: list[dict], key: str, point: str) -> float:
    """The median over rounds of `key` ("wall", "cpu", "window", "window_cpu", "faults") at
    `point` (NaN: no round has it)."""
    return median(r[key][point] for r in rounds if point in r[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_peer_python(parser)
    parser.add_argument("--points", default=",".join(all_points()),
                        help="comma-separated <cell>-<variant> (default: the whole grid)")
    parser.add_argument("--threads", default="1,2", help="comma-separated OMP_NUM_THREADS values")
    parser.add_argument("--seconds", type=float, default=0.8, help="timed seconds per point")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternating seqlab/PyTorch rounds per thread count")
    parser.add_argument("--baseline-src", help="also run seqlab from this source tree")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    points = args.points.split(",")
    for point in points:
        describe(point)
    if args.worker:
        emit_result(run_worker(args.worker, args))
        return
    require_peer_python(args.peer_python)
    print_machine_report()
    print(f"{args.rounds} alternating round(s) per thread count, ~{args.seconds}s per point; "
          "elements (batch x steps) per second, medians; ratio = seqlab / PyTorch (wall, cpu)")
    sides = ["seqlab", "torch"] + (["base"] if args.baseline_src else [])
    for threads in (int(t) for t in args.threads.split(",")):
        rounds = alternate_rounds(args.rounds, sides, lambda side, n=threads: spawn_worker(
            args.peer_python if side == "torch" else sys.executable, side, n, args,
            args.baseline_src if side == "base" else None))
        print(f"\n== OMP_NUM_THREADS={threads}; load average after the rounds: {load_averages()}")
        for side in sides:
            print(f"  {side}: {rounds[side][0]['library']}")
            for point, error in rounds[side][0]["errors"].items():
                print(f"  {side} {point}: {error}")
        header = (f"{'point':<18} {'seqlab':>10} {'torch':>10} {'ratio':>6} {'cpu':>6} "
                  f"{'window':>6} {'w cpu':>6} {'faults':>11}")
        if args.baseline_src:
            header += f" {'base':>10} {'base/pt':>7} {'now/base':>8} {'cpu':>6}"
        print(header)
        for point in points:
            ours, peer = (median_of(rounds[s], "wall", point) for s in ("seqlab", "torch"))
            cpu = ratio(median_of(rounds["seqlab"], "cpu", point),
                        median_of(rounds["torch"], "cpu", point))
            window, window_cpu = (ratio(median_of(rounds["seqlab"], key, point),
                                        median_of(rounds["torch"], key, point))
                                  for key in ("window", "window_cpu"))
            faults = "/".join(thousands(median_of(rounds[side], "faults", point))
                              for side in ("seqlab", "torch"))
            line = (f"{point:<18} {ours:>10,.0f} {peer:>10,.0f} {ours / peer:>5.2f}x {cpu:>5.2f}x"
                    f" {window:>5.2f}x {window_cpu:>5.2f}x {faults:>11}")
            if args.baseline_src:
                base = median_of(rounds["base"], "wall", point)
                base_cpu = ratio(median_of(rounds["seqlab"], "cpu", point),
                                 median_of(rounds["base"], "cpu", point))
                line += (f" {base:>10,.0f} {base / peer:>6.2f}x {ours / base:>7.2f}x"
                         f" {base_cpu:>5.2f}x")
            print(line + ("  <1" if window < 1 else ""), flush=True)


if __name__ == "__main__":
    main()
