"""Batch-1 inference with layer 0's table kept across calls (`kept_tables`) against the same
calls projecting the compacted table every call (as before), in one process, alternating in
blocks of calls so that both see the same load.

`infer-b1`: Embedding(65, 256) -> LSTM(256, 2 layers) -> Linear(256, 65), batch 1 x 64 token
windows of the corpus, `model(x)` under `no_grad`. Prints, per thread count, wall minimum,
10th percentile and median and CPU median a call for both.

    uv run python benchmarks/kept_table_ab.py --corpus /work/shared/data/tinyshakespeare.txt \
        --threads 1,2 --blocks 40
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

BLOCK = 25  # calls a block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a text file (bytes)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--blocks", type=int, default=40, help=f"blocks of {BLOCK} calls each")
    args = parser.parse_args()
    print_machine_report(isolated=True)

    from seqlab.autograd import nn, no_grad, set_num_threads
    from seqlab.seqmodels import LSTM, recurrent_inference

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(65, 256)
            self.stack = LSTM(256, 256, 2)
            self.head = nn.Linear(256, 65)

        def forward(self, x):
            out, state = self.stack(self.embedding(x))
            return self.head(out), state

    text = np.frombuffer(args.corpus.read_bytes()[:64 * BLOCK * args.blocks + 64], np.uint8)
    symbols = np.unique(text)
    lookup = np.zeros(256, np.int64)
    lookup[symbols] = np.arange(symbols.size) % 65
    ids = lookup[text]
    windows = [ids[i * 64:(i + 1) * 64].reshape(64, 1) for i in range(args.blocks * BLOCK)]
    keeps = recurrent_inference.keeps_whole_table
    modes = {"kept": keeps, "every call": lambda *_args: False}
    for threads in (int(t) for t in args.threads.split(",")):
        set_num_threads(threads)
        model = Net()
        times: dict = {mode: ([], []) for mode in modes}
        with no_grad():
            for mode in modes:  # warm both
                recurrent_inference.keeps_whole_table = modes[mode]
                for x in windows[:2 * BLOCK]:
                    model(x)
            for block in range(args.blocks):
                order = list(modes) if block % 2 == 0 else list(modes)[::-1]
                for mode in order:
                    recurrent_inference.keeps_whole_table = modes[mode]
                    for x in windows[block * BLOCK:(block + 1) * BLOCK]:
                        wall, cpu = time.perf_counter(), time.process_time()
                        model(x)
                        times[mode][1].append(time.process_time() - cpu)
                        times[mode][0].append(time.perf_counter() - wall)
        recurrent_inference.keeps_whole_table = keeps
        for mode, (walls, cpus) in times.items():
            walls, cpus = np.array(walls) * 1e6, np.array(cpus) * 1e6
            print(f"{threads} thread(s), table {mode:10}: wall min {walls.min():6.0f} p10 "
                  f"{np.percentile(walls, 10):6.0f} median {np.median(walls):6.0f} us; CPU "
                  f"median {np.median(cpus):6.0f} us")


if __name__ == "__main__":
    main()
