"""The LSTM training loops' 2-thread team split by sequence against the split by hidden unit,
in one process, alternating: the loops alone and whole `LanguageModel` steps.

- loops: one layer's forward (save) and backward loop at batch 32 x 64, float32, input
  projection given (`recurrent_loops.lstm_team_forward` / `lstm_team_backward`), on one thread
  ("one"), on a team split by sequence ("seq": each part runs 16 sequences through all of W_hh,
  no barrier inside the loop) and on a team split by unit ("unit": each part keeps the gate rows
  of its hidden units, half of W_hh, and the parts meet once a step);
- steps: whole training steps of `charlm_train.py`'s `LanguageModel` (table-read layer 0, Adam,
  clip 5) with the loops split by sequence or by unit, alternating rounds of 3 steps.

Prints medians of wall and process CPU time (both threads count). On a shared machine compare
the CPU columns; a wall figure means something only where wall is about half the CPU time
(both cores free: with one core taken, CPU = wall and the team's parts ran one at a time).

    OMP_NUM_THREADS=2 uv run python benchmarks/lstm_team_split.py \
        --hidden 128,256 --sizes 128x1,256x2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

from seqlab.autograd.kernels.row_blocks import rows_split_pays
from seqlab.seqmodels import recurrent_loops

sys.path.insert(0, str(Path(__file__).resolve().parent))
import charlm_train  # the benchmark's model, data and step

STEPS, BATCH = 64, 32
SPLITS = {"seq": rows_split_pays, "unit": lambda *_: False}


def _use_split(name: str) -> None:
    recurrent_loops.rows_split_pays = SPLITS["seq" if name == "one" else name]


def loop_call(hidden: int, mode: str):
    """A call running one LSTM layer's forward and backward loop; returns
    (wall fwd, wall bwd, cpu fwd, cpu bwd) seconds."""
    rng = np.random.default_rng(0)
    xg = (0.5 * rng.standard_normal((STEPS, BATCH, 4 * hidden))).astype(np.float32)
    zeros = np.zeros((BATCH, hidden), np.float32)
    w_hh = (rng.standard_normal((4 * hidden, hidden)) / np.sqrt(hidden)).astype(np.float32)
    lengths = np.full(BATCH, STEPS, np.int64)
    d_out = rng.standard_normal((STEPS, BATCH, hidden)).astype(np.float32)
    parts = 1 if mode == "one" else 2

    def call():
        _use_split(mode)
        wall, cpu = time.perf_counter(), time.process_time()
        _, _, _, *saved = recurrent_loops.lstm_team_forward(xg, zeros, zeros, w_hh, lengths,
                                                            False, parts)
        wall_mid, cpu_mid = time.perf_counter(), time.process_time()
        recurrent_loops.lstm_team_backward(tuple(saved), w_hh, lengths, False, d_out, zeros,
                                           zeros, parts)
        return (wall_mid - wall, time.perf_counter() - wall_mid, cpu_mid - cpu,
                time.process_time() - cpu_mid)
    return call


def time_loops(hidden: int, repeats: int) -> None:
    calls = {mode: loop_call(hidden, mode) for mode in ("one", "seq", "unit")}
    times: dict[str, list] = {mode: [] for mode in calls}
    for call in calls.values():
        call()
    for _ in range(repeats):
        for mode, call in calls.items():
            times[mode].append(call())
    for mode, rows in times.items():
        ms = np.median(np.array(rows), axis=0) * 1e3
        print(f"loops H={hidden:<4} {mode:<4} wall fwd {ms[0]:7.2f} bwd {ms[1]:7.2f} ms | "
              f"cpu fwd {ms[2]:7.2f} bwd {ms[3]:7.2f} ms")


def time_steps(hidden: int, layers: int, rounds: int, corpus: Path) -> None:
    tokens, chars = charlm_train.load_corpus(corpus)
    model = charlm_train.SeqlabCharLM("lstm", hidden, layers, len(chars))
    batches = charlm_train.stream_batches(tokens)
    times: dict[str, tuple[list, list]] = {name: ([], []) for name in SPLITS}
    for name in SPLITS:
        _use_split(name)
        for _ in range(3):
            model.train_step(*next(batches))
    for round_ in range(rounds):
        for name in (list(SPLITS) if round_ % 2 == 0 else list(SPLITS)[::-1]):
            _use_split(name)
            for _ in range(3):
                batch = next(batches)
                wall, cpu = time.perf_counter(), time.process_time()
                model.train_step(*batch)
                times[name][0].append(time.perf_counter() - wall)
                times[name][1].append(time.process_time() - cpu)
    for name, (walls, cpus) in times.items():
        wall = statistics.median(walls)
        print(f"step {hidden}x{layers} {name:<4} wall {wall * 1e3:7.2f} ms (min "
              f"{min(walls) * 1e3:7.2f}) | cpu {statistics.median(cpus) * 1e3:7.2f} ms | "
              f"{BATCH * STEPS / wall:,.0f} tokens/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="128,256", help="loops alone: hidden sizes ('' none)")
    parser.add_argument("--sizes", default="128x1,256x2", help="whole steps: HxL ('' none)")
    parser.add_argument("--repeats", type=int, default=15, help="loop calls per mode")
    parser.add_argument("--rounds", type=int, default=6, help="step rounds (3 steps) per split")
    parser.add_argument("--corpus", type=Path, default=charlm_train.DEFAULT_CORPUS)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    for hidden in filter(None, args.hidden.split(",")):
        time_loops(int(hidden), args.repeats)
    for hidden, layers in (charlm_train.parse_sizes(args.sizes) if args.sizes else []):
        time_steps(hidden, layers, args.rounds, args.corpus)
    recurrent_loops.rows_split_pays = rows_split_pays


if __name__ == "__main__":
    main()
