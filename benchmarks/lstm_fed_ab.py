"""The LSTM training forward with its input projected in the loop (`seqmodels.recurrent_fed`)
against the projection and the loop apart, in one process, alternating: CPU ms of one layer's
forward (caches flushed before each call) and of whole `LanguageModel` training steps
(`charlm_train.SeqlabCharLM`: batch 32 x 64, Adam, clip 5). Both paths give the same bits, so
the comparison is of time only. Threads from OMP_NUM_THREADS; on a loaded machine read the CPU
times (process time, both threads counted), not the wall.

    OMP_NUM_THREADS=1 uv run python benchmarks/lstm_fed_ab.py --hidden 128,256,512 --sizes 256x2
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report
from charlm_train import DEFAULT_CORPUS, SeqlabCharLM, load_corpus, parse_sizes, stream_batches
from composed_train import machine_info

from seqlab.seqmodels import recurrent_ops


def _no_fed(*_args):
    return None


FED = recurrent_ops._fed_forward


def _use(side: str) -> None:
    recurrent_ops._fed_forward = FED if side == "fed" else _no_fed


def _alternating(rounds: int, run) -> dict[str, float]:
    """Median CPU ms of run() per side, the sides alternating (apart, fed; fed, apart; ...)."""
    times: dict[str, list[float]] = {"apart": [], "fed": []}
    for round_ in range(rounds):
        for side in ("apart", "fed") if round_ % 2 == 0 else ("fed", "apart"):
            _use(side)
            times[side].append(run())
    _use("fed")
    return {side: statistics.median(values) for side, values in times.items()}


def layer_forward_ms(hidden: int, rounds: int) -> dict[str, float]:
    """One LSTM layer's training forward over (64, 32, hidden) input, F = H, float32."""
    steps, batch = 64, 32
    rng = np.random.default_rng(0)
    x = (0.5 * rng.standard_normal((steps, batch, hidden))).astype(np.float32)
    state = np.zeros((batch, hidden), np.float32)
    w_ih, w_hh = ((rng.standard_normal((4 * hidden, hidden)) / np.sqrt(hidden))
                  .astype(np.float32) for _ in range(2))
    bias = np.zeros(4 * hidden, np.float32)
    flush = np.ones(16 << 20, np.float32)

    def run() -> float:
        flush[:] += 1
        start = time.process_time()
        recurrent_ops.layer_forward("lstm", x, state, state, w_ih, w_hh, bias, bias)
        return (time.process_time() - start) * 1e3

    return _alternating(rounds, run)


def step_ms(hidden: int, layers: int, rounds: int, steps: int, corpus: Path) -> dict[str, float]:
    """CPU ms a `LanguageModel` training step (steps a round, after two untimed)."""
    tokens, chars = load_corpus(corpus)
    model = SeqlabCharLM("lstm", hidden, layers, len(chars))
    batches = stream_batches(tokens)
    for _ in range(2):
        model.train_step(*next(batches))

    def run() -> float:
        model.train_step(*next(batches))  # one untimed step after each switch
        start = time.process_time()
        for _ in range(steps):
            model.train_step(*next(batches))
        return (time.process_time() - start) / steps * 1e3

    return _alternating(rounds, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="128,256,512", help="layer sizes to time alone")
    parser.add_argument("--sizes", default="256x2", help="LanguageModel sizes (HxL) to step")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps a round")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    args = parser.parse_args()
    print_machine_report(isolated=True)
    print(machine_info())
    for hidden in (int(h) for h in args.hidden.split(",") if h):
        ms = layer_forward_ms(hidden, 2 * args.rounds)
        print(f"layer forward H {hidden}: CPU ms apart {ms['apart']:.2f} fed {ms['fed']:.2f} "
              f"apart / fed {ms['apart'] / ms['fed']:.3f}", flush=True)
    for hidden, layers in parse_sizes(args.sizes) if args.sizes else ():
        ms = step_ms(hidden, layers, args.rounds, args.steps, Path(args.corpus))
        print(f"LanguageModel LSTM {hidden}x{layers} step: CPU ms apart {ms['apart']:.2f} fed "
              f"{ms['fed']:.2f} apart / fed {ms['apart'] / ms['fed']:.3f}", flush=True)
    with open("/proc/loadavg") as load:
        print("load average:", load.read().split()[:3])


if __name__ == "__main__":
    main()
