"""A word LM's output side piece by piece, seqlab vs PyTorch: CPU time, system time and minor
page faults of each piece of a training step.

The pieces: Embedding(V, H) lookup, Linear(H, V) forward over T*N rows, cross_entropy forward,
backward through the loss and the Linear (the logits' gradient, dX and dW GEMMs, bias sum), the
Embedding's backward, Adam over both layers, zero_grad. The (T*N, V) arrays are what costs: a
full-size temporary allocated afresh each step is faulted in again (system time), so the fault
counts say how many such arrays each library makes a step. Each side runs in its own process
(PyTorch under --peer-python, nothing of seqlab imported there), one after the other, per round;
numbers are medians over the timed steps, then over rounds. Threads from OMP_NUM_THREADS only.

    uv run python benchmarks/output_layer_pieces.py --peer-python /work/peers/bin/python \\
        --shapes 50000x256x32x35,20000x256x128x35 --threads 1,2 --rounds 3
    # this tree against another: --baseline-src /tmp/base (its seqlab runs as "old")
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

SRC_DIRS = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
            "apps/cli/src")
PIECES = ("embedding forward", "linear forward", "cross_entropy forward",
          "backward (loss + linear)", "embedding backward", "adam", "zero_grad")


def _usage() -> tuple[float, float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_stime, usage.ru_minflt


def run_worker(side: str, shape: tuple[int, int, int, int], steps: int, warmup: int) -> dict:
    """Time each piece of `steps` steps (after `warmup`) in this process."""
    vocab, hidden, batch, seq = shape
    rows = batch * seq
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((rows, hidden)).astype(np.float32)
    if side == "torch":
        import torch
        functional = torch.nn.functional

        def make(array):
            return torch.tensor(array, requires_grad=True)
        head, embedding = torch.nn.Linear(hidden, vocab), torch.nn.Embedding(vocab, hidden)
        targets, ids = torch.from_numpy(rng.integers(0, vocab, rows)), torch.from_numpy(
            rng.integers(0, vocab, (seq, batch)))
        optimizer = torch.optim.Adam([*head.parameters(), *embedding.parameters()], lr=2e-3)
    else:
        from seqlab.autograd import Tensor, nn, optim
        from seqlab.autograd.nn import functional

        def make(array):
            return Tensor(array, requires_grad=True)
        head, embedding = nn.Linear(hidden, vocab), nn.Embedding(vocab, hidden)
        targets, ids = rng.integers(0, vocab, rows), rng.integers(0, vocab, (seq, batch))
        optimizer = optim.Adam([*head.parameters(), *embedding.parameters()], lr=2e-3)
    records: dict[str, list[tuple[float, float, int]]] = {piece: [] for piece in PIECES}

    def timed(piece: str, step: int, action):
        before = _usage()
        result = action()
        after = _usage()
        if step >= warmup:
            records[piece].append(tuple(b - a for a, b in zip(before, after, strict=True)))
        return result

    for step in range(warmup + steps):
        x = make(inputs)
        embedded = timed(PIECES[0], step, lambda: embedding(ids))
        logits = timed(PIECES[1], step, lambda x=x: head(x))
        loss = timed(PIECES[2], step, lambda logits=logits: functional.cross_entropy(logits,
                                                                                    targets))
        timed(PIECES[3], step, lambda loss=loss: loss.backward())
        timed(PIECES[4], step, lambda embedded=embedded: (embedded * 1.0).sum().backward())
        timed(PIECES[5], step, optimizer.step)
        timed(PIECES[6], step, optimizer.zero_grad)
        del x, embedded, logits, loss
    return {piece: [statistics.median(r[k] for r in values) for k in range(3)]
            for piece, values in records.items()}


def spawn(python: str, side: str, shape: str, threads: int, args, tree: Path | None) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    env.pop("PYTHONPATH", None)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(tree / d) for d in SRC_DIRS)
    command = [python, __file__, "--worker", side, "--shapes", shape, "--steps", str(args.steps),
               "--warmup", str(args.warmup)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--baseline-src", type=Path, help="another tree's seqlab, run as 'old'")
    parser.add_argument("--shapes", default="50000x256x32x35,20000x256x128x35",
                        help="comma-separated VOCABxHIDDENxBATCHxSTEPS")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        shape = tuple(int(part) for part in args.shapes.split("x"))
        print(json.dumps(run_worker(args.worker, shape, args.steps, args.warmup)))
        return
    print_machine_report(isolated=True)
    sides = [("new", sys.executable, "seqlab", None)]
    if args.baseline_src:
        sides.insert(0, ("old", sys.executable, "seqlab", args.baseline_src.resolve()))
    if args.peer_python:
        sides.append(("torch", args.peer_python, "torch", None))
    print(f"load average: {Path('/proc/loadavg').read_text().strip()}")
    for shape in args.shapes.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            runs: dict[str, list[dict]] = {name: [] for name, *_ in sides}
            for round_index in range(args.rounds):
                order = sides if round_index % 2 == 0 else sides[::-1]
                for name, python, side, tree in order:
                    runs[name].append(spawn(python, side, shape, threads, args, tree))
            print(f"\n{shape} (vocab x hidden x batch x steps), {threads} thread(s), "
                  "ms CPU (user+sys) / ms sys / minor faults a step, medians")
            print(f"{'piece':26s}" + "".join(f"{name:>26s}" for name in runs))
            for piece in PIECES:
                cells = []
                for values in runs.values():
                    cpu, system, faults = (statistics.median(v[piece][k] for v in values)
                                           for k in range(3))
                    cells.append(f"{cpu * 1e3:9.1f} {system * 1e3:7.1f} {faults:8.0f}")
                print(f"{piece:26s}" + "".join(f"{cell:>26s}" for cell in cells))
            totals = {name: statistics.median(sum(v[p][0] for p in PIECES) for v in values)
                      for name, values in runs.items()}
            print(f"{'total':26s}" + "".join(f"{totals[name] * 1e3:>26.1f}" for name in runs))
            print(f"load average: {Path('/proc/loadavg').read_text().strip()}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
