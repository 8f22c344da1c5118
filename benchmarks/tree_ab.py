"""What the A/B scripts of two source trees share: run a child script that imports seqlab from
one tree, alternate the trees round by round, and print one line of medians and ratios (wall
and CPU, after/before) per case. The machine report is `bench_common`'s (`cpu_model` and
`load_averages` stay importable from here).

    from tree_ab import alternate, ab_line
    medians, counts = alternate(trees, rounds, lambda tree: run_in_tree(tree, SCRIPT, path))
    print(ab_line("read_pairs", medians, counts))
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench_common import (  # noqa: F401  (cpu_model, load_averages: the A/B scripts import them here)
    SOURCE_DIRS,
    cpu_model,
    load_averages,
    median,
    source_pythonpath,
)

PACKAGES = SOURCE_DIRS  # the name the A/B scripts import


def served_numbers(python: str, script: str, role: str, tree: str | None) -> list[float]:
    """Run `script --serve ROLE` in a fresh process of `python` (importing seqlab from `tree`'s
    packages when given, else the installed one; a peer's Python for a peer's role): the
    numbers it printed, in order."""
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = source_pythonpath(tree)
    out = subprocess.run([python, script, "--serve", role], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return [float(value) for value in out]


def run_in_tree(tree: Path, script: str, *args: str) -> dict:
    """Run `script` (Python source that prints one JSON object) in a fresh process importing
    seqlab from `tree`; the object it printed."""
    env = {**os.environ, "PYTHONPATH": source_pythonpath(tree)}
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
    medians = {name: {key: median(values) for key, values in figure.items()}
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
