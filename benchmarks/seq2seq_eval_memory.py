"""Peak memory and time of `seq2seq eval` on a large pairs file, this tree against a baseline
checkout, alternating (issue 16: memory set by the model, not by the file).

Generates (once, under --workdir) a TSV of `source<TAB>target` pairs of about --megabytes, each
source repeated --repeats times with other targets, the repeats scattered through the file (not
adjacent), trains a tiny word-level model on its first lines (in this tree), then runs
`seq2seq eval MODEL PAIRS --beam 1` in each tree, each in its own process under
`/usr/bin/time -v`; the two trees' JSON scores must be equal:

    uv run python benchmarks/seq2seq_eval_memory.py --baseline /tmp/base-streams --rounds 1

Prints one JSON line per run: tree, wall s, user+sys s, peak RSS MB, the scores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from labelled_memory import run
from peak_memory import cpu_model, load_average

ROOT = Path(__file__).resolve().parents[1]


def make_pairs(workdir: Path, megabytes: float, repeats: int) -> Path:
    """The pairs file (written once; reused when present)."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"eval-pairs-{megabytes:g}mb-x{repeats}.tsv"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghij"))
    vocabulary = np.array(["".join(rng.choice(letters, rng.integers(2, 6)))
                           for _ in range(300)])
    sources = max(1, int(megabytes * 1e6 / 40 / repeats))
    words = rng.choice(vocabulary, (sources, 3))
    with open(path, "w", encoding="utf-8") as out:
        for _ in range(repeats):  # each round every source once, in its own shuffled order
            for row in rng.permutation(sources):
                target = list(reversed(words[row]))
                target[rng.integers(3)] = str(rng.choice(vocabulary))
                out.write(f"{' '.join(words[row])}\t{' '.join(target)}\n")
    return path


def train_model(pairs: Path, workdir: Path) -> Path:
    model = workdir / "eval-model.safetensors"
    if model.exists():
        return model
    head = workdir / "eval-train.tsv"
    with open(pairs, encoding="utf-8") as lines, open(head, "w", encoding="utf-8") as out:
        for _, line in zip(range(20_000), lines):
            out.write(line)
    subprocess.run([sys.executable, "-m", "seqlab.cli", "seq2seq", "train", str(head),
                    "--hidden", "8", "--embedding-dim", "8", "--layers", "1", "--steps", "5",
                    "--source-level", "word", "--target-level", "word", "--quiet", "--force",
                    "--out", str(model)], check=True)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/seq2seq-eval-memory"))
    parser.add_argument("--megabytes", type=float, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    print_machine_report(isolated=True)
    pairs = make_pairs(options.workdir, options.megabytes, options.repeats)
    model = train_model(pairs, options.workdir)
    with open(pairs, "rb") as file:
        lines = sum(1 for _ in file)
    print(json.dumps({"cpu": cpu_model(), "tsv_mb": pairs.stat().st_size / 1e6, "pairs": lines,
                      "repeats": options.repeats}), flush=True)
    env = dict(os.environ, SEQLAB_NO_PROGRESS="1")
    scores = {}
    for _ in range(options.rounds):
        for name, tree in (("baseline", options.baseline), ("this", ROOT)):
            result = run(tree, ["seq2seq", "eval", str(model), str(pairs), "--beam", "1",
                                "--json"], env, stdout=True)
            scores[name] = result.pop("stdout")
            print(json.dumps({"tree": name, "load": load_average(), **result,
                              "scores": scores[name]}), flush=True)
    print(json.dumps({"same_scores": scores["baseline"] == scores["this"]}))


if __name__ == "__main__":
    main()
