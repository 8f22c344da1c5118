"""Peak memory of `ngram train` / `ngram eval` on one long line (text8: no newline) and on
the same words in 20-word lines, this tree beside a baseline tree, with KenLM's Python module
scoring the same text as the peer for eval.

    uv run python benchmarks/ngram_long_line_memory.py --corpus /tmp/text8.txt \\
        --baseline-src /tmp/base --peer-python /work/peers/bin/python --rounds 1

Each command runs in its own process under /usr/bin/time -v (its "Maximum resident set size"),
alternating trees; the CPU, ISA, BLAS and load average are printed. The 20-word-line copy is
written beside the corpus in a temporary folder (never in the repository).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import print_machine_report

SRC_DIRS = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
            "apps/cli/src")
ROOT = Path(__file__).resolve().parent.parent
PEER_EVAL = """
import sys, kenlm
model = kenlm.Model(sys.argv[1])
total = words = 0
with open(sys.argv[2], encoding="utf-8") as text:
    for line in text:  # KenLM's Python API scores a str: the whole line is read
        if line.split():
            total += model.score(line, bos=True, eos=True)
            words += len(line.split()) + 1
print("perplexity", 10 ** (-total / words))
"""


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in info
                if line.startswith("model name")), "?")
    flags = next((line for line in info if line.startswith("flags")), "")
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    import numpy as np

    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return f"CPU {cpu}; ISA {isa}; BLAS {blas.get('name', '?')} {blas.get('version', '')}"


def run(command: list[str], env: dict | None = None) -> tuple[int, float, float, float, str]:
    """(max RSS kB, wall s, user+sys s, load average at start, stdout) of `command`."""
    load = float(Path("/proc/loadavg").read_text().split()[0])
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    field = dict(re.findall(r"^\s*(.+?): (.+)$", done.stderr, re.M))
    wall = field["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall)))
    cpu = float(field["User time (seconds)"]) + float(field["System time (seconds)"])
    return int(field["Maximum resident set size (kbytes)"]), seconds, cpu, load, done.stdout


def seqlab(tree: Path, *args: str) -> tuple[list[str], dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(tree / d) for d in SRC_DIRS))
    return [sys.executable, "-c", "import sys; from seqlab.cli.app import main; main()",
            *args], env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="one line, no newline")
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--memory", default="20M")
    parser.add_argument("--order", default="3")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    print(machine())
    print("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "(unset)"))
    trees = {"this tree": ROOT, "baseline": args.baseline_src}
    with tempfile.TemporaryDirectory(prefix="ngram-long-line-") as folder:
        folder = Path(folder)
        words = args.corpus.read_text(encoding="utf-8").split()
        lines = folder / "lines.txt"
        lines.write_text("\n".join(" ".join(words[i:i + 20])
                                   for i in range(0, len(words), 20)) + "\n")
        del words
        corpora = {"one line": args.corpus, "20-word lines": lines}
        results: dict[tuple[str, str, str], list[tuple]] = {}
        model = folder / "eval.arpa"  # a small model to evaluate with (built once)
        command, env = seqlab(ROOT, "ngram", "train", str(lines), "--order", args.order,
                              "--level", "whitespace", "--out", str(model), "-q")
        subprocess.run(command, env=env, check=True)
        tiny = folder / "tiny.txt"
        tiny.write_text("a b c\nb c d\n")
        for tree in trees.values():  # compile and cache each tree's kernels before timing
            for warm in (["train", str(tiny), "--out", str(folder / "tiny.arpa"), "-q",
                          "--force"], ["eval", str(model), str(tiny)]):
                command, env = seqlab(tree, "ngram", *warm)
                subprocess.run(command, env=env, check=True, capture_output=True)
        for _ in range(args.rounds):
            for corpus_name, corpus in corpora.items():
                for tree_name, tree in trees.items():  # alternating trees
                    out = folder / "train.arpa"
                    out.unlink(missing_ok=True)
                    command, env = seqlab(tree, "ngram", "train", str(corpus), "--order",
                                          args.order, "--level", "whitespace", "--memory",
                                          args.memory, "--out", str(out), "-q")
                    results.setdefault(("train", corpus_name, tree_name), []).append(
                        run(command, env))
                    command, env = seqlab(tree, "ngram", "eval", str(model), str(corpus))
                    results.setdefault(("eval", corpus_name, tree_name), []).append(
                        run(command, env))
                if args.peer_python:
                    results.setdefault(("eval", corpus_name, "KenLM (python)"), []).append(
                        run([args.peer_python, "-c", PEER_EVAL, str(model), str(corpus)]))
        print(f"{'command':6} {'corpus':14} {'who':15} {'peak MB':>8} {'wall s':>7} "
              f"{'cpu s':>6} {'load':>5}  output")
        for (command, corpus_name, who), rows in results.items():
            peak = statistics.median(r[0] for r in rows) / 1024
            wall = statistics.median(r[1] for r in rows)
            cpu = statistics.median(r[2] for r in rows)
            load = statistics.median(r[3] for r in rows)
            print(f"{command:6} {corpus_name:14} {who:15} {peak:8.0f} {wall:7.1f} {cpu:6.1f} "
                  f"{load:5.2f}  {rows[-1][4].strip()[:70]}")


if __name__ == "__main__":
    main()
