"""Validation loss for the same wall-clock budget, seqlab vs PyTorch (issue 3, "Learning quality").

A 2-layer LSTM char LM, H = 256 (Embedding(65, 256) -> LSTM(256, 256, 2) -> Linear(256, 65)),
float32, batch 32 x 64 truncated BPTT with state carried and detached, Adam lr 2e-3, clip 5,
trained on the first 90% of tinyshakespeare. At fixed marks of training wall-clock time (60, 120,
..., --budget seconds; evaluation time is not counted) the validation loss is measured on a fixed
subset of the last 10% (the first --val-tokens tokens laid into 32 streams, run in 64-step chunks
with the state carried, from a zero state). seqlab then PyTorch run one after the other, each in
its own subprocess with --threads threads (each library's set_num_threads); both curves
(seconds, steps, nats and bits per char) are printed and written to --out.csv and --out.json.

    uv run python benchmarks/learning_curve.py --peer-python /work/peers/bin/python --budget 300
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report
from charlm_train import (
    BATCH,
    BPTT_STEPS,
    DEFAULT_CORPUS,
    SeqlabCharLM,
    TorchCharLM,
    load_corpus,
    stream_batches,
    worker_environment,
)

CELL, HIDDEN, LAYERS = "lstm", 256, 2
TRAIN_FRACTION = 0.9


def marks_for(budget: float, every: float) -> list[float]:
    """Evaluation times: every `every` seconds up to and including the budget."""
    count = max(1, math.floor(budget / every + 1e-9))
    marks = [every * k for k in range(1, count + 1)]
    if budget - marks[-1] > 1e-9:
        marks.append(budget)
    return marks


def validation_chunks(tokens: np.ndarray, val_tokens: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The fixed validation subset as consecutive (64, 32) chunks of 32 parallel streams."""
    validation = tokens[int(len(tokens) * TRAIN_FRACTION):][: val_tokens + 1]
    per_stream = (len(validation) - 1) // BATCH
    chunk_count = per_stream // BPTT_STEPS
    if chunk_count == 0:
        raise ValueError(f"--val-tokens {val_tokens} is too small: need >= {BATCH * BPTT_STEPS}")
    batches = stream_batches(validation, BATCH, BPTT_STEPS)
    return [next(batches) for _ in range(chunk_count)]


def validation_loss(model, chunks) -> float:
    """Mean nats per char over the validation chunks, state carried from a zero start."""
    state, total = None, 0.0
    for inputs, targets in chunks:
        loss, state = model.evaluate(inputs, targets, state)
        total += loss
    return total / len(chunks)


def run_worker(side: str, args: argparse.Namespace) -> dict:
    """Train one library for the budget; the curve at each mark."""
    tokens, chars = load_corpus(Path(args.corpus))
    if side == "torch":
        import torch

        torch.set_num_threads(args.threads)
    else:
        from seqlab.autograd import set_num_threads

        set_num_threads(args.threads)
    model_class = TorchCharLM if side == "torch" else SeqlabCharLM
    chunks = validation_chunks(tokens, args.val_tokens)
    batches = stream_batches(tokens[: int(len(tokens) * TRAIN_FRACTION)])
    # Untimed warm-up on a throwaway model: JIT caches, oneDNN primitives, allocator.
    warmup = model_class(CELL, HIDDEN, LAYERS, len(chars), seed=args.seed + 1)
    for _ in range(2):
        warmup.train_step(*next(stream_batches(tokens)))
    validation_loss(warmup, chunks[:1])
    model = model_class(CELL, HIDDEN, LAYERS, len(chars), seed=args.seed)
    marks = marks_for(args.budget, args.every)
    curve, trained, steps, last_loss = [], 0.0, 0, float("nan")
    for mark in marks:
        while trained < mark:
            inputs, targets = next(batches)
            start = time.perf_counter()
            last_loss = model.train_step(inputs, targets)
            trained += time.perf_counter() - start
            steps += 1
        nats = validation_loss(model, chunks)
        curve.append({"seconds": round(trained, 2), "steps": steps, "val_nats": nats,
                      "val_bits_per_char": nats / math.log(2), "train_loss": last_loss})
        print(f"{side} {trained:7.1f} s  step {steps:5d}  val {nats:.4f} nats", file=sys.stderr,
              flush=True)
    return {"curve": curve}


def spawn_worker(python: str, side: str, args: argparse.Namespace) -> dict:
    threads = str(args.threads)
    env = worker_environment(args.threads, args.keep_openblas_env)
    command = [python, __file__, "--worker", side, "--threads", threads, "--budget",
               str(args.budget), "--every", str(args.every), "--val-tokens", str(args.val_tokens),
               "--seed", str(args.seed), "--corpus", str(args.corpus)]
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{side} worker ({python}) failed (see its stderr above)")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def write_outputs(curves: dict[str, list[dict]], out: Path) -> None:
    out.with_suffix(".json").write_text(json.dumps(curves, indent=1))
    with out.with_suffix(".csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["library", "seconds", "steps", "val_nats", "val_bits_per_char"])
        for library, curve in curves.items():
            for point in curve:
                writer.writerow([library, point["seconds"], point["steps"],
                                 f"{point['val_nats']:.4f}", f"{point['val_bits_per_char']:.4f}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"),
                        help="python with torch installed (default $SEQLAB_PEER_PYTHON)")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds per side")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between evaluations")
    parser.add_argument("--threads", type=int, default=2, help="threads for each library")
    parser.add_argument("--seqlab-threads", type=int,
                        help="seqlab's threads if not --threads (to compare settings)")
    parser.add_argument("--val-tokens", type=int, default=65536,
                        help="size of the fixed validation subset (tokens)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "learning_curve"),
                        help="write OUT.csv and OUT.json")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the workers")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.worker, args)))
        return
    print_machine_report(isolated=True)
    torch_threads = args.threads
    args.threads = args.seqlab_threads or args.threads
    curves = {"seqlab": spawn_worker(sys.executable, "seqlab", args)["curve"]}
    seqlab_threads, args.threads = args.threads, torch_threads
    if args.peer_python:
        curves["torch"] = spawn_worker(args.peer_python, "torch", args)["curve"]
    else:
        print("no --peer-python (or $SEQLAB_PEER_PYTHON): seqlab only")
    print(f"\n2x{HIDDEN} LSTM char LM, seqlab {seqlab_threads} / PyTorch {torch_threads} "
          f"thread(s), validation = {args.val_tokens} tokens of the last 10%: val loss "
          "(nats | bits per char) at training wall-clock marks")
    print(f"{'seconds':>8} " + " ".join(f"{name + ' nats':>12} {'bpc':>6} {'steps':>6}"
                                         for name in curves))
    for index, mark in enumerate(marks_for(args.budget, args.every)):
        row = f"{mark:>8.0f} "
        for curve in curves.values():
            point = curve[index]
            row += (f"{point['val_nats']:>12.4f} {point['val_bits_per_char']:>6.3f} "
                    f"{point['steps']:>6d} ")
        print(row)
    write_outputs(curves, Path(args.out))
    print(f"curves written to {Path(args.out).with_suffix('.csv')} and .json")


if __name__ == "__main__":
    main()
