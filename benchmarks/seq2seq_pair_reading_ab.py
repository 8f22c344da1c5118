"""A/B of seq2seq's TSV pairs reader (`seq2seq.data.read_pairs`, what every pass of `seq2seq
train` and eval's grouping read) in two source trees, alternating, each read in a fresh process:
wall and CPU seconds over a generated file of `source<TAB>target` lines. The reader is pure
Python (no peer reads this format; the A/B is against the baseline tree).

    git -C /work/main archive e7e119e | tar -x -C /tmp/base
    uv run python benchmarks/seq2seq_pair_reading_ab.py --baseline-src /tmp/base --lines 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from pathlib import Path

from bench_common import print_machine_report
from tree_ab import ab_line, alternate, cpu_model, run_in_tree

READ = """
import json, sys, time
from seqlab.seqmodels.seq2seq.data import read_pairs
wall, cpu = time.perf_counter(), time.process_time()
count = sum(len(target) for _, target in read_pairs(sys.argv[1], 1000))
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "count": count}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    trees = {"before": args.baseline_src, "after": Path(__file__).resolve().parents[1]}
    rng = random.Random(0)
    source_words, target_words = ["the", "cat", "sat", "on", "mat", "dog"], ["LE", "CHAT", "EST"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pairs.tsv"
        with open(path, "w", encoding="utf-8") as out:
            for _ in range(args.lines):
                out.write(" ".join(rng.choice(source_words) for _ in range(8)) + "\t" +
                          " ".join(rng.choice(target_words) for _ in range(8)) + "\n")
        print(f"{cpu_model()}; {args.lines:,} lines, {path.stat().st_size / 1e6:.1f} MB; "
              f"{args.rounds} rounds, trees alternated; load {os.getloadavg()[0]:.1f}")
        medians, counts = alternate(trees, args.rounds,
                                    lambda tree: run_in_tree(tree, READ, str(path)))
        print(ab_line("read_pairs", medians, counts) +
              f"; load after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
