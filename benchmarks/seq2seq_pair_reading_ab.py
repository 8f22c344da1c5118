"""A/B of seq2seq's TSV pairs reader (`seq2seq.data.read_pairs`, what every pass of `seq2seq
train` and eval's grouping read) in two source trees, alternating, each read in a fresh process:
wall and CPU seconds over a generated file of `source<TAB>target` lines. The reader is pure
Python (no peer reads this format; the A/B is against the baseline tree).

    git -C /work/main archive e7e119e | tar -x -C /tmp/base
    uv run python benchmarks/seq2seq_pair_reading_ab.py --baseline-src /tmp/base --lines 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
            "apps/cli/src")
READ = """
import json, sys, time
from seqlab.seqmodels.seq2seq.data import read_pairs
wall, cpu = time.perf_counter(), time.process_time()
count = sum(len(target) for _, target in read_pairs(sys.argv[1], 1000))
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "count": count}))
"""


def _run(tree: Path, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(tree / p) for p in PACKAGES)}
    done = subprocess.run([sys.executable, "-c", READ, str(path)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _cpu_model() -> str:
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = {"before": args.baseline_src, "after": Path(__file__).resolve().parents[1]}
    rng = random.Random(0)
    source_words, target_words = ["the", "cat", "sat", "on", "mat", "dog"], ["LE", "CHAT", "EST"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pairs.tsv"
        with open(path, "w", encoding="utf-8") as out:
            for _ in range(args.lines):
                out.write(" ".join(rng.choice(source_words) for _ in range(8)) + "\t" +
                          " ".join(rng.choice(target_words) for _ in range(8)) + "\n")
        print(f"{_cpu_model()}; {args.lines:,} lines, {path.stat().st_size / 1e6:.1f} MB; "
              f"{args.rounds} rounds, trees alternated; load {os.getloadavg()[0]:.1f}")
        figures = {name: {"wall": [], "cpu": []} for name in trees}
        counts = set()
        for _ in range(args.rounds):
            for name, tree in trees.items():
                result = _run(tree, path)
                figures[name]["wall"].append(result["wall"])
                figures[name]["cpu"].append(result["cpu"])
                counts.add(result["count"])
        medians = {name: {k: statistics.median(v) for k, v in f.items()}
                   for name, f in figures.items()}
        print(f"read_pairs before {medians['before']['wall']:.2f} s wall "
              f"{medians['before']['cpu']:.2f} s CPU | after {medians['after']['wall']:.2f} / "
              f"{medians['after']['cpu']:.2f} | after/before wall "
              f"{medians['after']['wall'] / medians['before']['wall']:.2f} CPU "
              f"{medians['after']['cpu'] / medians['before']['cpu']:.2f}"
              f"{'' if len(counts) == 1 else '  (COUNTS DIFFER: ' + str(counts) + ')'}; "
              f"load after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
