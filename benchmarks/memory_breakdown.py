"""Where a seqlab command's resident memory is at its peak, mapping by mapping.

Runs one `seqlab` command in this process (the real entry point, as `python -m seqlab.cli`)
with a thread that reads `/proc/self/status` every `--every` seconds; each time the resident
set reaches a new high it reads `/proc/self/smaps` and keeps the resident kilobytes of each
mapping, grouped (a shared library by file name, the heap, anonymous maps, memory-mapped
corpus caches, ...). At exit it prints the groups at the peak, largest first, and the stage
timeline (resident MB against seconds). Linux only.

    uv run python benchmarks/memory_breakdown.py -- word2vec train /tmp/c50m.txt --dim 50 \\
        --window 2 --epochs 1 --workers 2 --out /tmp/v.txt --force --quiet

The sampler adds a thread and a few hundred KB; the figures it prints are read from the kernel,
so they agree with `/usr/bin/time -v`'s maximum resident set within the sampling interval.
"""

from __future__ import annotations

import argparse
import atexit
import re
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from bench_common import print_machine_report


def resident_kb() -> int:
    """VmRSS of this process in KB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def group_of(name: str) -> str:
    """The group a mapping's pathname falls in."""
    if not name:
        return "anonymous (malloc arenas, NumPy arrays, thread stacks)"
    if name.startswith("["):
        return name
    path = Path(name.replace(" (deleted)", ""))
    if path.suffix in (".u32", ".i64", ".u16", ".u8", ".bin") or ".ids-" in name:
        return f"memory-mapped cache {path.suffix}"
    if ".so" in path.name:
        return re.sub(r"\.cpython-.*", "", path.name)
    return path.name


def smaps_groups() -> dict[str, list[int]]:
    """[resident KB, of which anonymous KB] per mapping group, from /proc/self/smaps (a
    library's anonymous pages are its relocated data and copy-on-write writes; the rest of its
    pages are clean copies of the file)."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    name = ""
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                parts = line.split(None, 5)
                name = parts[5].strip() if len(parts) > 5 else ""
            elif first == "Rss:":
                groups[group_of(name)][0] += int(line.split()[1])
            elif first == "Anonymous:":
                groups[group_of(name)][1] += int(line.split()[1])
    return dict(groups)


class Sampler(threading.Thread):
    """Follows the resident set; snapshots smaps at each new high."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every, self.started = every, time.perf_counter()
        self.peak_kb, self.peak_at, self.peak_groups = 0, 0.0, {}
        self.timeline: list[tuple[float, int]] = []

    def run(self) -> None:
        while True:
            self.sample()
            time.sleep(self.every)

    def sample(self) -> None:
        rss = resident_kb()
        now = time.perf_counter() - self.started
        if not self.timeline or abs(rss - self.timeline[-1][1]) > 2048:
            self.timeline.append((now, rss))
        if rss > self.peak_kb + 512:
            self.peak_kb, self.peak_at, self.peak_groups = rss, now, smaps_groups()

    def report(self) -> None:
        self.sample()
        with open("/proc/self/status") as status:
            hwm = next((line.split()[1] for line in status if line.startswith("VmHWM:")), "?")
        print(f"\n# peak sampled {self.peak_kb / 1024:.0f} MB at {self.peak_at:.1f} s "
              f"(VmHWM {int(hwm) / 1024:.0f} MB)", file=sys.stderr)
        total = sum(kb for kb, _ in self.peak_groups.values())
        print("resident MB, of which anonymous MB, mapping", file=sys.stderr)
        for group, (kb, anonymous) in sorted(self.peak_groups.items(),
                                             key=lambda item: -item[1][0])[:25]:
            print(f"{kb / 1024:8.1f} {anonymous / 1024:8.1f}  {group}", file=sys.stderr)
        print(f"{total / 1024:8.1f} MB  total of smaps", file=sys.stderr)
        print("# timeline (s, MB): " + ", ".join(
            f"{t:.1f}:{kb / 1024:.0f}" for t, kb in self.timeline), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=float, default=0.05, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then seqlab's arguments")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    sampler = Sampler(args.every)
    sampler.start()
    atexit.register(sampler.report)
    sys.argv = ["seqlab", *command]
    from seqlab.cli.app import main as seqlab_main

    seqlab_main()


if __name__ == "__main__":
    main()
