"""Batch-1 sampling speed before/after the repetition penalty moved onto logits (the fused
drawer now carries logsumexp(logits) beside the log-probabilities), A/B against a source tree.

A 2 x 256 char-sized LSTM language model (V 96, E 64, random weights, float32) samples 3000
tokens through `seqlab.nlp.generation.sample` (the fused drawer) with no penalty and with
repetition_penalty 1.3, in fresh processes alternating the two trees; medians of wall and
CPU seconds per 3000 tokens. Threads from OMP_NUM_THREADS (no set_num_threads call).

    git -C /work/main archive 8945c8b | tar -x -C /tmp/base-fixB
    OMP_NUM_THREADS=1 uv run python benchmarks/sampling_penalty_ab.py --baseline-src /tmp/base-fixB
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_common import print_machine_report
from tree_ab import ab_line, alternate, cpu_model, load_averages, run_in_tree

CHILD = """
import json, statistics, sys, time
import numpy as np
from seqlab.nlp.generation import SamplingOptions, sample
from seqlab.seqmodels import LanguageModel

penalty, tokens = float(sys.argv[1]), int(sys.argv[2])
model = LanguageModel(96, 64, 256, num_layers=2, cell="lstm", generator=0)
list(sample(model, [1, 2, 3], SamplingOptions(max_tokens=50, seed=0, repetition_penalty=penalty)))
walls, cpus, count = [], [], 0
for seed in range(3):
    options = SamplingOptions(max_tokens=tokens, seed=seed, repetition_penalty=penalty)
    wall, cpu = time.perf_counter(), time.process_time()
    count = len(list(sample(model, [1, 2, 3], options)))
    walls.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
print(json.dumps({"wall": statistics.median(walls), "cpu": statistics.median(cpus),
                  "count": count}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True, help="the tree before")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=3000)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    here = Path(__file__).resolve().parent.parent
    trees = {"before": args.baseline_src, "after": here}
    print(f"CPU {cpu_model()}; load {load_averages()}")
    for penalty in ("1.0", "1.3"):
        medians, counts = alternate(trees, args.rounds, lambda tree, penalty=penalty: run_in_tree(
            tree, CHILD, penalty, str(args.tokens)))
        print(ab_line(f"sample {args.tokens} tokens, repetition_penalty {penalty}:", medians,
                      counts))
    print(f"load after {load_averages()}")


if __name__ == "__main__":
    main()
