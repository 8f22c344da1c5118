"""What giving LLVM's clean pages back costs one seqlab command, counted in its own process:
how many releases ran, their CPU time, and the process's minor page faults (the pages the
next kernel load faults back), CPU time and peak RSS, with the policy on and with
`SEQLAB_KEEP_LLVM_PAGES=1`. Counts, not timings of a loaded machine: the release's share of
a command's CPU is `release_cpu_ms` plus the extra minor faults at a few microseconds each.

    uv run python benchmarks/llvm_pages_cost.py -- generate model.safetensors --length 200
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench_common import print_machine_report

CHILD = """
import json, resource, sys, time
from seqlab.autograd import llvm_pages
calls, spent = [0], [0.0]
original = llvm_pages.release_llvm_pages

def counted(*args, **kwargs):
    start = time.process_time()
    try:
        return original(*args, **kwargs)
    finally:
        spent[0] += time.process_time() - start
        calls[0] += 1

llvm_pages.release_llvm_pages = counted
from seqlab.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"releases": calls[0], "release_cpu_ms": round(spent[0] * 1000, 1),
                  "minor_faults": usage.ru_minflt,
                  "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                  "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}), file=sys.stderr)
"""


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise SystemExit(__doc__)
    print_machine_report(isolated=True)
    for keep in ("0", "1"):
        env = dict(os.environ, NO_COLOR="1", SEQLAB_KEEP_LLVM_PAGES=keep)
        done = subprocess.run([sys.executable, "-c", CHILD, *argv], env=env, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        counts = json.loads(done.stderr.strip().splitlines()[-1])
        print(json.dumps({"side": "keep" if keep == "1" else "release", **counts}), flush=True)


if __name__ == "__main__":
    main()
