"""Peak memory and time of `classify train` and `seq2seq train` on large generated files,
this tree against a baseline checkout, alternating (issue 16: memory set by the model).

Generates (once, under --workdir) a CSV of `label,text` rows and a TSV of `source<TAB>target`
pairs of about --megabytes each (Zipf-distributed words, a label that depends on them), then
runs each command as a user would, each in its own process under `/usr/bin/time -v`, with a
small model and a few steps so that reading the data is what is measured:

    uv run python benchmarks/labelled_memory.py --baseline /tmp/data-base --rounds 2

`--baseline ROOT`: sources of another commit (`git archive c37b88e | tar -x -C ROOT`), run
through PYTHONPATH. Prints one JSON line per run: command, tree, wall s, user+sys s, peak RSS MB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import SOURCE_DIRS, cpu_model, load_average

ROOT = Path(__file__).resolve().parents[1]


def _words(count: int, rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return np.array(["".join(rng.choice(letters, rng.integers(2, 9))) for _ in range(count)])


def make_files(workdir: Path, megabytes: float) -> tuple[Path, Path]:
    """The CSV and TSV files (written once; reused when present)."""
    workdir.mkdir(parents=True, exist_ok=True)
    table, pairs = workdir / f"labelled-{megabytes:g}mb.csv", workdir / f"pairs-{megabytes:g}mb.tsv"
    rng = np.random.default_rng(0)
    vocabulary = _words(20_000, rng)
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    target = int(megabytes * 1e6)
    if not table.exists():
        with open(table, "w", encoding="utf-8") as out:
            out.write("label,text\n")
            size = 0
            while size < target:
                words = rng.choice(vocabulary, (1000, 30), p=weights)
                labels = np.where((words[:, :5] == vocabulary[1]).any(axis=1), "pos", "neg")
                block = "".join(f'{label},"{" ".join(row)}"\n'
                                for label, row in zip(labels, words, strict=True))
                out.write(block)
                size += len(block)
    if not pairs.exists():
        with open(pairs, "w", encoding="utf-8") as out:
            size = 0
            while size < target:
                words = rng.choice(vocabulary[:2000], (1000, 4), p=None)
                block = "".join(f"{' '.join(row)}\t{' '.join(reversed(row))}\n"
                                for row in words)
                out.write(block)
                size += len(block)
    return table, pairs


def commands(table: Path, pairs: Path, out: Path, steps: int | None = None
             ) -> dict[str, list[str]]:
    """The two commands; with `steps`, a training-speed run (no validation split)."""
    if steps is not None:
        return {
            "classify train": ["classify", "train", str(table), "--hidden", "32", "--steps",
                               str(steps), "--val-fraction", "0", "--quiet", "--force",
                               "--out", str(out / "clf.safetensors")],
            "seq2seq train": ["seq2seq", "train", str(pairs), "--hidden", "32", "--layers", "1",
                              "--steps", str(steps), "--val-fraction", "0", "--source-level",
                              "word", "--target-level", "word", "--vocab-size", "3000",
                              "--quiet", "--force", "--out", str(out / "s2s.safetensors")],
        }
    return {
        "classify train": ["classify", "train", str(table), "--hidden", "16", "--embedding-dim",
                           "16", "--steps", "20", "--val-fraction", "0.01", "--quiet",
                           "--force", "--out", str(out / "clf.safetensors")],
        "seq2seq train": ["seq2seq", "train", str(pairs), "--hidden", "16",
                          "--embedding-dim", "16", "--layers", "1", "--steps", "20",
                          "--val-fraction", "0.001", "--source-level", "word",
                          "--target-level", "word", "--vocab-size", "3000", "--quiet", "--force",
                          "--out", str(out / "s2s.safetensors")],
    }


def run(tree: Path, args: list[str], env: dict[str, str], stdout: bool = False) -> dict:
    """`seqlab ARGS` of `tree` under `/usr/bin/time -v`: rc, wall s, user+sys s, peak RSS MB
    (and the command's stdout, with `stdout`)."""
    env = dict(env, PYTHONPATH=os.pathsep.join(str(tree / d) for d in SOURCE_DIRS))
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "seqlab.cli", *args],
                          capture_output=True, text=True, env=env)
    report = done.stderr

    def field(name: str) -> float:
        match = re.search(rf"{re.escape(name)}: ([\d.:]+)", report)
        if not match:
            return float("nan")
        value = match.group(1)
        if ":" in value:  # h:mm:ss or m:ss.ss
            parts = [float(p) for p in value.split(":")]
            return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        return float(value)

    result = {"rc": done.returncode,
              "wall_s": field("Elapsed (wall clock) time (h:mm:ss or m:ss)"),
              "cpu_s": field("User time (seconds)") + field("System time (seconds)"),
              "peak_rss_mb": field("Maximum resident set size (kbytes)") / 1024,
              "error": "" if done.returncode == 0 else report.strip().splitlines()[:3]}
    if stdout:
        result["stdout"] = done.stdout.strip()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/labelled-memory"))
    parser.add_argument("--megabytes", type=float, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["classify train", "seq2seq train"], default=None)
    parser.add_argument("--steps", type=int, default=None,
                        help="a training-speed run: this many steps, no validation split")
    options = parser.parse_args()
    print_machine_report(isolated=True)
    table, pairs = make_files(options.workdir, options.megabytes)
    print(json.dumps({"cpu": cpu_model(), "csv_mb": table.stat().st_size / 1e6,
                      "tsv_mb": pairs.stat().st_size / 1e6}), flush=True)
    env = dict(os.environ, SEQLAB_NO_PROGRESS="1")
    for _ in range(options.rounds):
        for name, tree in (("baseline", options.baseline), ("this", ROOT)):
            out = options.workdir / f"out-{name}"
            out.mkdir(exist_ok=True)
            for command, args in commands(table, pairs, out, options.steps).items():
                if options.only and command != options.only:
                    continue
                result = run(tree, args, env)
                print(json.dumps({"command": command, "tree": name, "load": load_average(),
                                  **result}), flush=True)


if __name__ == "__main__":
    main()
