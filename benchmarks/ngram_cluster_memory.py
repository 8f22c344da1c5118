"""`seqlab ngram train --cluster local:N`: peak memory of the client and of every worker.

`/usr/bin/time -v` sees one process; a cluster run is the client plus N worker processes
(spawned by Dask's nannies inside the client). This samples the resident set of the whole
process tree every 0.2 s and prints the peak of the sum, the peak of each process, and the
CPU time of the tree. With `--baseline DIR` (a `git archive` of another commit unpacked
there) each round runs that tree too, through PYTHONPATH, alternating with this one, and
the two ARPA files are compared byte for byte.

    git archive 460b40e | tar -x -C /tmp/base
    uv run python benchmarks/ngram_cluster_memory.py --baseline /tmp/base --order 3 \\
        --memory 1G --workers 2 --rounds 2 FILE [FILE ...]

Shards are byte ranges cut after a newline (since 5 December; before, whole files): one file
is shared by the workers.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from bench_common import print_machine_report

PACKAGES = ("packages/autograd/src", "packages/nlp/src", "packages/seqmodels/src",
            "apps/cli/src")


def sampled(command: list[str], env: dict[str, str]) -> dict:
    """Run `command`; peaks of the tree's RSS (sum and per process), wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    root = psutil.Process(process.pid)
    peak_sum, peak_each = 0, {}
    while process.poll() is None:
        total = 0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for member in tree:
            try:
                rss = member.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            peak_each[member.pid] = max(peak_each.get(member.pid, 0), rss)
        peak_sum = max(peak_sum, total)
        time.sleep(0.2)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return {"wall": time.perf_counter() - start,
            "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "tree": peak_sum / 2**30,
            "largest": sorted((v / 2**30 for v in peak_each.values()), reverse=True)[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--memory", default="1G")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="another commit's tree, unpacked")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    trees = {"this": None} | ({"baseline": args.baseline} if args.baseline else {})
    with tempfile.TemporaryDirectory(prefix="seqlab-cluster-bench-") as folder:
        for round_number in range(args.rounds):
            order = list(trees.items())
            if round_number % 2:
                order.reverse()
            outputs = {}
            for name, tree in order:
                env = dict(os.environ)
                if tree is not None:
                    env["PYTHONPATH"] = os.pathsep.join(str(tree / p) for p in PACKAGES)
                out = Path(folder) / f"{name}.arpa"
                command = [sys.executable, "-m", "seqlab.cli", "ngram", "train", *args.files,
                           "--order", str(args.order), "--memory", args.memory, "--level",
                           "whitespace", "--cluster", f"local:{args.workers}", "--out",
                           str(out), "--force"]
                load = os.getloadavg()[0]
                result = sampled(command, env)
                outputs[name] = out
                largest = " / ".join(f"{gb:.3f}" for gb in result["largest"])
                print(f"round {round_number + 1} {name:8s} wall {result['wall']:7.1f} s  "
                      f"CPU {result['cpu']:6.1f} s  tree peak {result['tree']:.3f} GiB  "
                      f"largest processes {largest} GiB  load {load:.1f}", flush=True)
            if len(outputs) == 2:
                same = filecmp.cmp(*outputs.values(), shallow=False)
                print(f"round {round_number + 1}: ARPA files {'identical' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
