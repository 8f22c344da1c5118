"""In-process A/B of a training step with `lengths`: rows longest first against the caller's order.

One `composed_options.py` point's seqlab model (`clf-*`: a `SequenceClassifier` over padded
texts with per-text lengths) takes whole training steps (forward, loss, backward, clipping) on
one batch (or `config_sweep.py`'s `{cell}-bidir-len` stack alone, `sweep-{cell}-bidir-len`),
alternating this tree's graph path, which runs the rows longest first
(`seqmodels/training_length_order.py`), with the same process and `length_order` patched to
answer None (the rows as the caller gave them). Median CPU ms (process_time) of each; threads
from OMP_NUM_THREADS. Nothing of PyTorch runs here: `composed_options.py` gives the ratios
against it.

    OMP_NUM_THREADS=1 uv run python benchmarks/lengths_training_order.py --points \\
        clf-bigru-128,clf-bilstm-128,clf-lstm-256 --steps 9
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from composed_options import POINTS, SeqlabPoint, make_data
from composed_train import library_info, machine_info
from tree_ab import load_averages

# `config_sweep.py`'s `{cell}-bidir-len` stacks: F 40 -> bidirectional H 128, batch 32 x 64,
# lengths drawn from [32, 64], the sum of the outputs as the loss
SWEEP_STACKS = ("lstm", "gru", "rnn")


def _sweep_step(cell: str):
    """A training step (forward and backward) of a `{cell}-bidir-len` stack."""
    from seqlab.autograd import Tensor
    from seqlab.seqmodels import GRU, LSTM, RNN

    stack = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[cell](40, 128, bidirectional=True,
                                                         generator=0)
    x = np.random.default_rng(0).standard_normal((64, 32, 40)).astype(np.float32)
    lengths = np.random.default_rng(1).integers(32, 65, size=32)

    def step() -> None:
        stack.zero_grad()
        stack(Tensor(x, requires_grad=True), lengths=lengths)[0].sum().backward()

    return step


def _point_step(name: str):
    """A training step of `composed_options.py`'s point `name` on one batch."""
    spec = POINTS[name]
    point = SeqlabPoint(spec)
    inputs, targets, lengths = next(make_data(spec))

    def step() -> None:
        point.model.zero_grad()
        point.step(inputs, targets, lengths)

    return step


def compare(name: str, steps: int) -> tuple[float, float]:
    """Median CPU ms of a training step of `name` (a `composed_options.py` point, or
    `sweep-{cell}-bidir-len`), rows ordered and as given."""
    from seqlab.seqmodels import training_length_order

    ordering = training_length_order.length_order
    sweep = name.startswith("sweep-")
    step = _sweep_step(name.split("-")[1]) if sweep else _point_step(name)

    for _ in range(2):  # compiles and workspace blocks
        step()
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for _ in range(steps):
            for ordered in (True, False):
                training_length_order.length_order = (ordering if ordered
                                                      else lambda lengths: None)
                start = time.process_time()
                step()
                times[ordered].append(1e3 * (time.process_time() - start))
    finally:
        training_length_order.length_order = ordering
    return statistics.median(times[True]), statistics.median(times[False])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="clf-bigru-128,clf-bilstm-128,clf-lstm-256,"
                        + ",".join(f"sweep-{cell}-bidir-len" for cell in SWEEP_STACKS))
    parser.add_argument("--steps", type=int, default=9, help="timed steps of each order")
    args = parser.parse_args()
    print(machine_info())
    print("seqlab:", library_info("seqlab"))
    print("load average before:", load_averages())
    print(f"{'point':<22} {'ordered ms':>11} {'as given ms':>12} {'gain':>6}")
    for name in args.points.split(","):
        ordered, as_given = compare(name, args.steps)
        print(f"{name:<22} {ordered:>11.1f} {as_given:>12.1f} {as_given / ordered:>5.2f}x")
    print("load average after:", load_averages())


if __name__ == "__main__":
    main()
