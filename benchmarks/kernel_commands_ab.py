"""Peak RSS, CPU and wall time of the commands that load Numba kernels, this checkout against
another (PYTHONPATH), alternating processes; under `/usr/bin/time -v`.

Commands: `train` (char LSTM, a few steps: autograd kernels, BLAS through SciPy), `ngram train
--order 3`, `tokenize train --level bpe` (above the 1M-symbol kernel threshold), each on
`--corpus` (a few MB of text). Rounds run after, before, after, before ...; the first round
of each side fills its Numba caches and is not reported (`--skip-warmup` to report it).

    uv run python benchmarks/kernel_commands_ab.py --corpus /tmp/c5m.txt \\
        --baseline /tmp/base-w2vfloor --rounds 2
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import SOURCE_DIRS, cpu_model, load_average


def commands(corpus: Path, out: Path) -> dict[str, list[str]]:
    return {
        "train (char LSTM 128x1, 20 steps)": [
            "train", str(corpus), "--hidden", "128", "--layers", "1", "--steps", "20",
            "--out", str(out / "lm.safetensors"), "--force", "--quiet"],
        "ngram train --order 3": [
            "ngram", "train", str(corpus), "--order", "3", "--out", str(out / "lm.arpa"),
            "--force", "--quiet"],
        "tokenize train --level bpe": [
            "tokenize", "train", str(corpus), "--level", "bpe", "--vocab-size", "2000",
            "--out", str(out / "bpe.json"), "--force", "--quiet"],
    }


def run(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "seqlab.cli", *argv],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{argv[:2]} failed: {done.stderr[-2000:]}")

    def field(name: str) -> float:
        return float(re.search(rf"{re.escape(name)}: ([\d.:]+)", done.stderr).group(1)
                     .split(":")[-1])

    return {"rss": field("Maximum resident set size (kbytes)") / 1024,
            "cpu": field("User time (seconds)") + field("System time (seconds)"),
            "wall": _wall(done.stderr)}


def _wall(stderr: str) -> float:
    text = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", stderr)
    seconds = 0.0
    for part in text.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-warmup", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ, NO_COLOR="1")
    sides = {"after": env, "before": dict(env, PYTHONPATH=os.pathsep.join(
        str(args.baseline / d) for d in SOURCE_DIRS))}
    print(f"CPU {cpu_model()}; corpus {args.corpus} "
          f"({args.corpus.stat().st_size / 1e6:.1f} MB); load {load_average()}")
    with tempfile.TemporaryDirectory() as folder:
        rows: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_ in range(args.rounds + (0 if args.skip_warmup else 1)):
            for name, argv in commands(args.corpus, Path(folder)).items():
                for side, side_env in sides.items():
                    result = run(argv, side_env)
                    if round_ or args.skip_warmup:
                        rows.setdefault((name, side), []).append(result)
                    print(f"round {round_} {side:6} {name}: {result['rss']:.1f} MB, "
                          f"CPU {result['cpu']:.2f} s, wall {result['wall']:.2f} s, "
                          f"load {load_average()}", flush=True)
    print("\n| command | peak RSS MB after / before | CPU s after / before "
          "| wall s after / before |")
    print("|---|---|---|---|")
    for name in commands(args.corpus, Path(".")):
        after, before = rows[(name, "after")], rows[(name, "before")]

        def med(side, key):
            return statistics.median(r[key] for r in side)

        print(f"| {name} | {med(after, 'rss'):.1f} / {med(before, 'rss'):.1f} | "
              f"{med(after, 'cpu'):.2f} / {med(before, 'cpu'):.2f} | "
              f"{med(after, 'wall'):.2f} / {med(before, 'wall'):.2f} |")


if __name__ == "__main__":
    main()
