"""The cost of `seqmodels.table_projection` (stop 23) in a composed Embedding -> LSTM -> Linear
training step (forward, cross-entropy, backward, SGD step) where layer 0 reads the embedding's
table: the TableProjection node (one gather-and-compare of the looked-up rows a backward)
against 8945c8b's `F.linear(E, W_ih, b)`, in one process, the sides alternating step by step (ABBA).
Both sides give the same bits (checked first), so the comparison is of time only. Threads
from OMP_NUM_THREADS; on a loaded machine read the CPU times (process time).

    OMP_NUM_THREADS=1 uv run python benchmarks/table_projection_ab.py --shapes 65/64/256/35/32
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
from bench_common import print_machine_report
from composed_train import machine_info
from tree_ab import load_averages

import seqlab.seqmodels.table_projection as table_module
from seqlab.autograd import Tensor
from seqlab.autograd.nn import Embedding, Linear
from seqlab.autograd.nn import functional as F
from seqlab.autograd.optim import SGD
from seqlab.seqmodels import LSTM

NEW = table_module.table_projection


def _linear_table(table, w_ih, bias, ids, rows):
    """8945c8b's layer-0 table: `F.linear`, which saves E itself."""
    return F.linear(table, w_ih, bias)


def _model(vocab: int, embed: int, hidden: int):
    emb = Embedding(vocab, embed, generator=1)
    lstm = LSTM(embed, hidden, generator=2)
    head = Linear(hidden, vocab)
    return emb, lstm, head


def _step(parts, optimizer, ids, targets, vocab: int) -> np.ndarray:
    emb, lstm, head = parts
    optimizer.zero_grad()
    out, _ = lstm(emb(ids))
    loss = F.cross_entropy(head(out).reshape(-1, vocab), Tensor(targets.reshape(-1)))
    loss.backward()
    optimizer.step()
    return emb.weight.data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="65/64/256/35/32,500/128/128/35/20",
                        help="V/E/H/T/N, comma-separated")
    parser.add_argument("--steps", type=int, default=15, help="timed steps per side")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    machine = machine_info()
    print(f"CPU: {machine['cpu']}; ISA: {machine['isa']}; load {load_averages()}")
    for shape in args.shapes.split(","):
        vocab, embed, hidden, steps, batch = (int(v) for v in shape.split("/"))
        rng = np.random.default_rng(0)
        ids = rng.integers(0, vocab, (steps, batch))
        targets = rng.integers(0, vocab, (steps, batch))
        base = _model(vocab, embed, hidden)
        assert base[1].reads_embedding_table(vocab, ids.size), "the table path is not taken"
        sides = {}
        for name, projection in (("8945c8b F.linear", _linear_table), ("TableProjection", NEW)):
            parts = copy.deepcopy(base)
            params = [p for part in parts for p in part.parameters()]
            sides[name] = (parts, SGD(params, lr=0.1), projection, [], [])
        results = []
        for parts, optimizer, projection, _, _ in sides.values():  # same bits, and warm
            table_module.table_projection = projection
            for _ in range(3):
                results.append(_step(parts, optimizer, ids, targets, vocab).copy())
        same = np.array_equal(results[2], results[5])
        for index in range(2 * args.steps):  # old, new, new, old, ...: no side always first
            order = list(sides.values())
            parts, optimizer, projection, cpu, wall = order[(index + index // 2) % 2]
            table_module.table_projection = projection
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            _step(parts, optimizer, ids, targets, vocab)
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start_wall)
        table_module.table_projection = NEW
        (old_cpu, old_wall), (new_cpu, new_wall) = [
            (statistics.median(side[3]) * 1e3, statistics.median(side[4]) * 1e3)
            for side in sides.values()]
        print(f"V/E/H/T/N {shape}: 8945c8b {old_cpu:.2f} ms CPU ({old_wall:.2f} wall), "
              f"TableProjection {new_cpu:.2f} ms CPU ({new_wall:.2f} wall), new/old CPU "
              f"{new_cpu / old_cpu:.3f}, wall {new_wall / old_wall:.3f}; same bits: {same}")
    print(f"load {load_averages()}")


if __name__ == "__main__":
    main()
