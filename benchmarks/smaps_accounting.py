"""Account for a command's peak resident memory from outside: mapping by mapping, phase by phase.

Runs a command as its own process (as a user runs it) and reads `/proc/PID/smaps` every
`--every` seconds. At each new high of the resident set it keeps the whole breakdown: per group
of mappings (a shared library by file name, `[heap]`, anonymous maps, thread stacks, files
mapped for data) the resident KB split into anonymous, private file-backed and shared
file-backed pages. Each sample is also labelled with a phase read from the process's open files
and threads (`--phases word2vec`: reading the corpus with one thread = vocabulary, writing the id
file = encoding, several threads = training, writing the vectors file = write; `import` until
the corpus is first opened), so the largest resident set of each phase is reported too.

    uv run python benchmarks/smaps_accounting.py --label seqlab -- \\
        .venv/bin/seqlab word2vec train /tmp/c50m.txt --dim 50 --window 2 --epochs 1 \\
        --workers 2 --out /tmp/v.txt --force --quiet
    (cd benchmarks && python -c 'import peak_memory as p; print(p.PEER_WORD2VEC)') > /tmp/g.py
    uv run python benchmarks/smaps_accounting.py --label gensim --corpus /tmp/c50m.txt -- \\
        /work/peers/bin/python /tmp/g.py /tmp/c50m.txt 2

Prints one JSON line (`--json`) or a table. Linux only. Reading smaps of a process with a few
hundred mappings takes ~2 ms, so the sampler costs the measured process nothing but page-table
locks; the peak it reports agrees with rusage's ru_maxrss within a sample interval (both are
printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench_common import print_machine_report

FIELDS = ("Rss", "Anonymous", "Private_Clean", "Private_Dirty", "Shared_Clean", "Shared_Dirty")


def group_of(name: str) -> str:
    """The group a mapping's pathname falls in."""
    if not name:
        return "anonymous"
    if name.startswith("[stack"):
        return "[stack]"
    if name.startswith("["):
        return name
    path = Path(name.replace(" (deleted)", ""))
    if ".so" in path.name:
        base = re.sub(r"(\.cpython-[^.]*)?\.so.*", ".so", path.name)
        return base
    if ".ids-" in name or path.suffix in (".u32", ".u16", ".u8", ".i64", ".bin"):
        return "mapped id cache"
    if "python3" in path.name:
        return "python"
    return "other file: " + path.name


def read_smaps(pid: int) -> dict[str, dict[str, int]] | None:
    """KB per FIELDS per group, or None once the process has gone."""
    groups: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    name = ""
    try:
        with open(f"/proc/{pid}/smaps") as smaps:
            for line in smaps:
                head, _, rest = line.partition(" ")
                if head.endswith(":"):
                    key = head[:-1]
                    if key in FIELDS:
                        groups[group_of(name)][key] += int(rest.split()[0])
                elif "-" in head:
                    parts = line.split(None, 5)
                    name = parts[5].strip() if len(parts) > 5 else ""
    except (OSError, ValueError, ProcessLookupError):
        return None
    return dict(groups) if groups else None


def open_files(pid: int) -> list[str]:
    """Targets of the process's open file descriptors (names only)."""
    try:
        names = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                names.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                continue
        return names
    except OSError:
        return []


def fd_mode(pid: int, target: str) -> str:
    """'w' if some descriptor on `target` is open for writing, else 'r'."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != target:
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = next(int(line.split()[1], 8) for line in info
                                 if line.startswith("flags:"))
                if flags & (os.O_WRONLY | os.O_RDWR):
                    return "w"
            except (OSError, ValueError, IndexError, StopIteration):
                continue
    except OSError:
        pass
    return "r"


def threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


class Word2VecPhases:
    """Phase of a word2vec run (seqlab's CLI or gensim's script) from its open files and
    threads: the id files open for writing = encoding, for reading (or, for gensim, the corpus
    open with two more threads than when it was first opened: its workers) = training."""

    def __init__(self, corpus: str, out: str | None) -> None:
        self.corpus, self.out = os.path.realpath(corpus), out and os.path.realpath(out)
        self.first_threads = 0
        self.trained = False

    def __call__(self, pid: int, groups: dict) -> str:
        files = open_files(pid)
        n_threads = threads(pid)
        if self.out and any(os.path.basename(self.out) in f and ".ids-" not in f
                            for f in files):
            return "write vectors"
        ids = [f for f in files if ".ids-" in f]
        if ids and any(fd_mode(pid, f) == "w" for f in ids):
            return "encode ids"
        if self.corpus in files and not self.first_threads:
            self.first_threads = n_threads
        if ids or (self.corpus in files and n_threads >= self.first_threads + 2):
            self.trained = True
            return "training"
        if self.corpus in files:
            return "training" if self.trained else "vocabulary"
        if self.trained:
            return "after training"
        return "after vocabulary" if self.first_threads else "start-up, imports"


def summarise(groups: dict[str, dict[str, int]]) -> dict[str, float]:
    total = {key: sum(g[key] for g in groups.values()) for key in FIELDS}
    return {key: round(value / 1024, 1) for key, value in total.items()}


def run(command: list[str], every: float, phases, env: dict[str, str]) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=env)
    peak_rss, peak_groups, peak_phase, peak_at = 0, {}, "", 0.0
    per_phase: dict[str, dict] = {}
    timeline: list[tuple[float, str, float]] = []
    output = bytearray()
    os.set_blocking(process.stdout.fileno(), False)
    while True:
        reaped, status, usage = os.wait4(process.pid, os.WNOHANG)
        if reaped:
            break
        groups = read_smaps(process.pid)
        now = time.perf_counter() - started
        if groups:
            rss = sum(g["Rss"] for g in groups.values())
            phase = phases(process.pid, groups) if phases else "run"
            if rss > peak_rss:
                peak_rss, peak_groups, peak_phase, peak_at = rss, groups, phase, now
            if rss > per_phase.get(phase, {}).get("rss_kb", -1):
                per_phase[phase] = {"rss_kb": rss, "at_s": round(now, 2),
                                    "totals_mb": summarise(groups),
                                    "llvmlite_mb": round(groups.get("libllvmlite.so", {})
                                                         .get("Rss", 0) / 1024, 1)}
            if not timeline or timeline[-1][1] != phase or abs(timeline[-1][2] - rss / 1024) > 4:
                timeline.append((round(now, 2), phase, round(rss / 1024, 1)))
        try:
            chunk = process.stdout.read()
            if chunk:
                output += chunk
        except (BlockingIOError, TypeError):
            pass
        time.sleep(every)
    process.returncode = os.waitstatus_to_exitcode(status)
    rest = process.stdout.read()
    if rest:
        output += rest
    return {"rc": process.returncode, "wall_s": round(time.perf_counter() - started, 1),
            "ru_maxrss_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_sampled_mb": round(peak_rss / 1024, 1), "peak_phase": peak_phase,
            "peak_at_s": round(peak_at, 2), "peak_totals_mb": summarise(peak_groups),
            "peak_groups_mb": {name: {k: round(v / 1024, 1) for k, v in g.items()}
                               for name, g in sorted(peak_groups.items(),
                                                     key=lambda item: -item[1]["Rss"])},
            "per_phase": {name: {**v, "rss_mb": round(v.pop("rss_kb") / 1024, 1)}
                          for name, v in per_phase.items()},
            "timeline": timeline,
            "tail": output.decode(errors="replace").strip().splitlines()[-2:]}


def print_table(label: str, result: dict, top: int) -> None:
    print(f"# {label}: peak sampled {result['peak_sampled_mb']} MB (ru_maxrss "
          f"{result['ru_maxrss_mb']}) in phase '{result['peak_phase']}' at "
          f"{result['peak_at_s']} s; wall {result['wall_s']} s; rc {result['rc']}")
    print(f"{'group':34} {'Rss':>7} {'Anon':>7} {'PrivCl':>7} {'PrivDi':>7} {'ShCl':>7} "
          f"{'ShDi':>7}")
    for name, g in list(result["peak_groups_mb"].items())[:top]:
        print(f"{name[:34]:34} " + " ".join(f"{g[k]:7.1f}" for k in FIELDS))
    t = result["peak_totals_mb"]
    print(f"{'total':34} " + " ".join(f"{t[k]:7.1f}" for k in FIELDS))
    print("per phase (max RSS MB, of it anonymous, llvmlite):")
    for name, v in result["per_phase"].items():
        print(f"  {name:20} {v['rss_mb']:7.1f} {v['totals_mb']['Anonymous']:7.1f} "
              f"{v['llvmlite_mb']:6.1f}  at {v['at_s']} s")
    print("tail:", result["tail"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=float, default=0.05)
    parser.add_argument("--label", default="command")
    parser.add_argument("--phases", choices=["word2vec", "none"], default="word2vec")
    parser.add_argument("--corpus", help="the corpus file (for phases; default: the first "
                        "argument that is a file)")
    parser.add_argument("--out", help="the vectors file (for phases; default: after --out)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--top", type=int, default=22)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    phases = None
    if args.phases == "word2vec":
        corpus = args.corpus or next((a for a in command[1:] if os.path.isfile(a)
                                      and not a.endswith((".py", "python"))), "")
        out = args.out or (command[command.index("--out") + 1] if "--out" in command else None)
        phases = Word2VecPhases(corpus, out)
    result = run(command, args.every, phases, dict(os.environ, NO_COLOR="1"))
    if args.json:
        print(json.dumps({"label": args.label, **result}))
    else:
        print_table(args.label, result, args.top)
    sys.exit(0 if result["rc"] == 0 else 1)


if __name__ == "__main__":
    main()
