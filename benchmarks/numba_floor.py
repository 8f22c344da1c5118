"""The resident memory Numba adds to a process before any data: each stage in a fresh process.

Stages (each one process, cumulative): the CLI's modules as `word2vec train` imports them
(NumPy, Typer, the word2vec package; no kernel); + `import numba`; + `scipy.linalg` (which Numba
imports when its first kernel loads, to see whether BLAS is there); + the first cached word2vec
kernel called (Numba's runtime initialised, its typing and lowering registries imported, the
kernel's machine code linked); + the rest of the word2vec kernels called. Prints VmRSS, RssAnon,
RssFile and the resident pages of `libllvmlite.so` per stage, the median of `--rounds` processes.
`--baseline ROOT` runs the same stages on another checkout's sources (PYTHONPATH), for a before/
after of a change in how kernels load. The kernels' caches must be warm (run a command once).

    uv run python benchmarks/numba_floor.py --rounds 3 --baseline /tmp/w2vmem-base
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import SOURCE_DIRS

STAGES = {
    "CLI modules, no Numba": "",
    "+ import numba": "import numba",
    "+ scipy.linalg": "import numba, scipy.linalg",
    "+ first cached kernel": "import numba\n"
    "from seqlab.nlp.word2vec import count_kernels\n"
    "count_kernels.fnv1a(np.zeros(4, np.uint8), 0, 4)",
    "+ every word2vec kernel": "import numba\n"
    "from seqlab.nlp.word2vec import count_kernels, kernels\n"
    "count_kernels.fnv1a(np.zeros(4, np.uint8), 0, 4)\n"
    "kernels.make_cum_guide(np.arange(1, 65, dtype=np.int64))\n"
    "kernels.lcg_next(1)",
}

PRELUDE = """
import numpy as np
import seqlab.cli.app, seqlab.cli.commands.word2vec
from seqlab.nlp.word2vec import Word2Vec
from seqlab.cli.inputs import StreamedSentences
"""

REPORT = """
import json
fields = {}
for line in open("/proc/self/status"):
    key = line.split(":")[0]
    if key in ("VmRSS", "RssAnon", "RssFile"):
        fields[key] = int(line.split()[1]) / 1024
llvm, name = 0, ""
for line in open("/proc/self/smaps"):
    head = line.split(None, 1)[0]
    if "-" in head and not head.endswith(":"):
        parts = line.split(None, 5)
        name = parts[5] if len(parts) > 5 else ""
    elif head == "Rss:" and "libllvmlite" in name:
        llvm += int(line.split()[1])
fields["libllvmlite"] = llvm / 1024
import sys
fields["modules"] = len(sys.modules)
print(json.dumps(fields))
"""


def measure(code: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", PRELUDE + code + REPORT], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="root of another seqlab checkout")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    sides = {"now": dict(os.environ)}
    if args.baseline:
        sides["baseline"] = dict(os.environ, PYTHONPATH=os.pathsep.join(
            str(args.baseline / d) for d in SOURCE_DIRS))
    results: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.rounds):
        for stage, code in STAGES.items():
            for side, env in sides.items():
                results.setdefault((side, stage), []).append(measure(code, env))
    keys = ("VmRSS", "RssAnon", "RssFile", "libllvmlite", "modules")
    print(f"{'side':9} {'stage':26} " + " ".join(f"{k:>11}" for k in keys))
    for (side, stage), rows in results.items():
        medians = {k: statistics.median(r[k] for r in rows) for k in keys}
        print(f"{side:9} {stage:26} " + " ".join(f"{medians[k]:11.1f}" for k in keys))
        print(json.dumps({"side": side, "stage": stage, **medians}), file=sys.stderr)


if __name__ == "__main__":
    main()
