"""The fixed memory floor every `seqlab` command pays, before / after, beside gensim.

Each side is a Python environment with seqlab installed (its own venv: a before with another
Typer cannot share this checkout's), `--before-python` and `--after-python`. Three parts:

1. Start-up: `seqlab --help`, `seqlab word2vec train --help` and `seqlab tokenize encode`
   run as a user runs them (the console script beside each Python): wall and CPU seconds, peak
   RSS (rusage, as `/usr/bin/time -v`); rounds alternate the sides; medians. A probe run of each
   says what it loaded (pydantic, numpy, numba).
2. The floor by stage, one fresh process per stage and side (cumulative; medians of --rounds):
   `import seqlab.cli.app`; + `word2vec train`'s options parsed (`main([... "--help"])`:
   the command's modules imported and Typer's parameter types built); + `import numba`;
   + the first cached word2vec kernel called (Numba's runtime from its cached object code, as
   the CLI asks); + every word2vec kernel called. VmRSS, RssAnon, RssFile, and the resident
   pages of `libllvmlite.so` and `_pydantic_core.so`. The kernels' caches must be warm (run
   `word2vec train` once on each side).
3. Peak of a whole `word2vec train` on --corpus beside gensim's `Word2Vec` (same options as
   `word2vec_memory.py`), each under `/usr/bin/time -v`: maximum RSS, wall, user+sys, words/s.

    uv run python benchmarks/command_floor.py --before-python /tmp/base-w2vmem/.venv/bin/python \\
        --corpus /tmp/c50m.txt --peer-python /work/peers/bin/python --rounds 3 --train-rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import PEER_WORD2VEC, cpu_model, load_average

START_COMMANDS = {
    "seqlab --help": ["--help"],
    "seqlab word2vec train --help": ["word2vec", "train", "--help"],
    "seqlab tokenize encode (char)": ["tokenize", "encode", "--level", "char", "hello"],
}

PARSED = """
from seqlab.cli.app import main
try:
    main(["word2vec", "train", "--help"])
except SystemExit:
    pass
"""
RUNTIME = "from seqlab.autograd.runtime_cache import CACHED_RUNTIME\n" \
          "CACHED_RUNTIME.request()\n"
STAGES = {
    "import seqlab.cli.app": "import seqlab.cli.app",
    "+ word2vec train's options parsed": PARSED,
    "+ import numba": PARSED + "import numba",
    "+ first cached kernel": PARSED + RUNTIME + "import numpy as np\n"
    "from seqlab.nlp.word2vec import count_kernels\n"
    "count_kernels.fnv1a(np.zeros(4, np.uint8), 0, 4)",
    "+ every word2vec kernel": PARSED + RUNTIME + "import numpy as np\n"
    "from seqlab.nlp.word2vec import count_kernels, kernels\n"
    "count_kernels.fnv1a(np.zeros(4, np.uint8), 0, 4)\n"
    "kernels.make_cum_guide(np.arange(1, 65, dtype=np.int64))\n"
    "kernels.lcg_next(1)",
}
REPORT = """
import json, sys
fields = {}
for line in open("/proc/self/status"):
    key = line.split(":")[0]
    if key in ("VmRSS", "RssAnon", "RssFile"):
        fields[key] = int(line.split()[1]) / 1024
libraries, name = {"libllvmlite": 0, "_pydantic_core": 0}, ""
for line in open("/proc/self/smaps"):
    head = line.split(None, 1)[0]
    if "-" in head and not head.endswith(":"):
        parts = line.split(None, 5)
        name = parts[5] if len(parts) > 5 else ""
    elif head == "Rss:":
        for library in libraries:
            if library in name:
                libraries[library] += int(line.split()[1])
fields.update({k: v / 1024 for k, v in libraries.items()})
fields["modules"] = len(sys.modules)
fields["loaded"] = [m for m in ("pydantic", "numpy", "numba", "scipy") if m in sys.modules]
sys.stdout.flush()
print(json.dumps(fields), file=sys.__stderr__)
"""
OPTIONS = ["--dim", "50", "--window", "2", "--negative", "5", "--min-count", "5", "--epochs",
           "1", "--workers", "2"]


def run_timed(command: list[str]) -> dict:
    """`command` under /usr/bin/time -v: wall and CPU seconds, maximum RSS (MB), output."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v", "-o", report.name, *command],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        text = report.read()
    value = {key: float(match.group(1)) for key, pattern in (
        ("user", r"User time \(seconds\): ([\d.]+)"),
        ("sys", r"System time \(seconds\): ([\d.]+)"),
        ("max_kb", r"Maximum resident set size \(kbytes\): (\d+)"))
        if (match := re.search(pattern, text))}
    return {"wall": wall, "cpu": value["user"] + value["sys"], "peak_mb": value["max_kb"] / 1024,
            "rc": done.returncode, "output": done.stdout + done.stderr}


def probe(python: str, code: str) -> dict:
    """Run `code` then REPORT in a fresh `python`; the report's fields."""
    done = subprocess.run([python, "-c", code + REPORT], capture_output=True, text=True)
    for line in reversed(done.stderr.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(done.stderr[-2000:])


def words_per_sec(output: str) -> float | None:
    for line in reversed(output.splitlines()):
        if line.startswith("{") and "words_per_sec" in line:
            return json.loads(line)["words_per_sec"]
        words = line.split()
        if words[:1] == ["vocabulary"] and "words/s" in words:
            return float(words[words.index("words/s") + 1])
    return None


def median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--after-python", default=str(Path(".venv/bin/python").absolute()))
    parser.add_argument("--before-python", required=True)
    parser.add_argument("--peer-python", help="a Python with gensim, for part 3")
    parser.add_argument("--corpus", type=Path, help="text for part 3 (skipped without it)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train-rounds", type=int, default=2)
    parser.add_argument("--skip", choices=["start", "stages", "train"], action="append",
                        default=[])
    args = parser.parse_args()
    print_machine_report(isolated=True)
    sides = {"after": args.after_python, "before": args.before_python}
    flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("flags")), "")
    isa = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "other"
    print(f"CPU: {cpu_model()}, {isa}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; "
          f"load {load_average():.1f}")
    for side, python in sides.items():
        versions = subprocess.run([python, "-c", "import typer, numba, numpy; print("
                                   "'typer', typer.__version__, 'numba', numba.__version__, "
                                   "'numpy', numpy.__version__, 'BLAS', numpy.__config__.CONFIG"
                                   "['Build Dependencies']['blas']['name'])"],
                                  capture_output=True, text=True)
        print(f"{side}: {python}: {versions.stdout.strip()}")

    if "start" not in args.skip:
        print("\n| command | side | wall s | CPU s | peak RSS MB | loads |\n"
              "|---|---|---|---|---|---|")
        for label, argv in START_COMMANDS.items():
            rows = {side: [] for side in sides}
            for _ in range(args.rounds):
                for side, python in sides.items():
                    rows[side].append(run_timed([str(Path(python).parent / "seqlab"), *argv]))
            for side, python in sides.items():
                loads = probe(python, f"from seqlab.cli.app import main\ntry:\n    main({argv!r})\n"
                              "except SystemExit:\n    pass\n")["loaded"]
                print(f"| {label} | {side} | {median(rows[side], 'wall'):.2f} | "
                      f"{median(rows[side], 'cpu'):.2f} | {median(rows[side], 'peak_mb'):.1f} | "
                      f"{', '.join(loads) or '-'} |")
        print(f"(load {load_average():.1f})")

    if "stages" not in args.skip:
        print("\n| stage (fresh process) | side | VmRSS | RssAnon | RssFile | libllvmlite | "
              "pydantic-core | modules |\n|---|---|---|---|---|---|---|---|")
        for label, code in STAGES.items():
            rows = {side: [probe(python, code) for _ in range(args.rounds)]
                    for side, python in sides.items()}
            for side in sides:
                r = rows[side]
                print(f"| {label} | {side} | {median(r, 'VmRSS'):.1f} | {median(r, 'RssAnon'):.1f}"
                      f" | {median(r, 'RssFile'):.1f} | {median(r, 'libllvmlite'):.1f} | "
                      f"{median(r, '_pydantic_core'):.1f} | {median(r, 'modules'):.0f} |")
        print(f"(load {load_average():.1f})")

    if "train" not in args.skip and args.corpus:
        commands = {side: [str(Path(python).parent / "seqlab"), "word2vec", "train",
                           str(args.corpus), *OPTIONS, "--json", "--quiet", "--force"]
                    for side, python in sides.items()}
        if args.peer_python:
            commands["gensim"] = [args.peer_python, "-c", PEER_WORD2VEC, str(args.corpus), "2"]
        rows = {side: [] for side in commands}
        with tempfile.TemporaryDirectory() as scratch:
            for round_ in range(args.train_rounds):
                for side, command in commands.items():
                    out = ["--out", str(Path(scratch) / f"{side}.txt")] if side in sides else []
                    load = load_average()
                    row = run_timed(command + out)
                    row["words_per_sec"] = words_per_sec(row["output"])
                    row["load"] = load
                    rows[side].append(row)
                    print(f"round {round_} {side}: peak {row['peak_mb']:.1f} MB, wall "
                          f"{row['wall']:.1f} s, CPU {row['cpu']:.1f} s, words/s "
                          f"{row['words_per_sec']}, load {load:.1f}, rc {row['rc']}",
                          flush=True)
        print("\n| word2vec train | peak RSS MB (median) | CPU s | wall s | words/s |\n"
              "|---|---|---|---|---|")
        for side, r in rows.items():
            print(f"| {side} | {median(r, 'peak_mb'):.1f} | {median(r, 'cpu'):.1f} | "
                  f"{median(r, 'wall'):.1f} | {median(r, 'words_per_sec'):,.0f} |")
        print(f"(load {load_average():.1f})")


if __name__ == "__main__":
    main()
