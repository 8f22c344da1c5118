"""What the A/B scripts of two source trees share: run a child script that imports seqlab from
one tree, alternate the trees round by round, and print one line of medians and ratios (wall
and CPU, after/before) per case; and the machine's description every benchmark prints (CPU
model, load averages).

    from tree_ab import alternate, ab_line
    medians, counts = alternate(trees, rounds, lambda tree: run_in_tree(tree, SCRIPT, path))
    print(ab_line("read_pairs", medians, counts))
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PACKAGES = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
            "apps/cli/src")


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo), or the platform's processor or machine."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_averages() -> str:
    """The 1, 5 and 15-minute load averages, as /proc/loadavg gives them."""
    with open("/proc/loadavg", encoding="utf-8") as file:
        return " ".join(file.read().split()[:3])


def served_numbers(python: str, script: str, role: str, tree: str | None) -> list[float]:
    """Run `script --serve ROLE` in a fresh process of `python` (importing seqlab from `tree`'s
    packages when given, else the installed one; a peer's Python for a peer's role): the
    numbers it printed, in order."""
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = os.pathsep.join(str(Path(tree) / p) for p in PACKAGES)
    out = subprocess.run([python, script, "--serve", role], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return [float(value) for value in out]


def run_in_tree(tree: Path, script: str, *args: str) -> dict:
    """Run `script` (Python source that prints one JSON object) in a fresh process importing
    seqlab from `tree`; the object it printed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(tree / p) for p in PACKAGES)}
    done = subprocess.run([sys.executable, "-c", script, *args], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def alternate(trees: dict[str, Path], rounds: int,
              run: Callable[[Path], dict]) -> tuple[dict[str, dict[str, float]], set]:
    """`run(tree)` for every tree in turn, `rounds` times: the medians of each tree's "wall"
    and "cpu", and the set of the "count"s the runs gave (one, where the trees agree)."""
    figures = {name: {"wall": [], "cpu": []} for name in trees}
    counts = set()
    for _ in range(rounds):
        for name, tree in trees.items():
            result = run(tree)
            figures[name]["wall"].append(result["wall"])
            figures[name]["cpu"].append(result["cpu"])
            counts.add(result["count"])
    medians = {name: {key: statistics.median(values) for key, values in figure.items()}
               for name, figure in figures.items()}
    return medians, counts


def ab_line(label: str, medians: dict[str, dict[str, float]], counts: set) -> str:
    """`LABEL before W s wall C s CPU | after W / C | after/before wall R CPU R`, flagging
    counts that differ between the runs."""
    before, after = medians["before"], medians["after"]
    return (f"{label} before {before['wall']:.2f} s wall {before['cpu']:.2f} s CPU | after "
            f"{after['wall']:.2f} / {after['cpu']:.2f} | after/before wall "
            f"{after['wall'] / before['wall']:.2f} CPU {after['cpu'] / before['cpu']:.2f}"
            f"{'' if len(counts) == 1 else '  (COUNTS DIFFER: ' + str(counts) + ')'}")
