"""Peak RSS, CPU and wall time of seqlab commands with LLVM's clean pages given back (the
commands' default, `seqlab.autograd.llvm_pages`) against kept (`SEQLAB_KEEP_LLVM_PAGES=1`, or
`--baseline ROOT`: another checkout's sources on PYTHONPATH), alternating processes, under
`/usr/bin/time -v`.

Commands, each on `--corpus` (a few MB of text): `train` (char LSTM, 20 steps: autograd
kernels), `generate` and `eval` with that model, `ngram train --order 3`, `word2vec train`
(1 epoch), `tokenize train --level bpe` (above the 1M-symbol kernel threshold) and
`tokenize encode` with that tokenizer (loads no kernel: the policy never applies). The model
and tokenizer are made once first. Rounds run release, keep, release, keep ...; the first
round of each side fills its Numba caches and is not reported (`--skip-warmup` to report it).
Prints each command's medians and the release side's ratios (CPU time beside wall).

    uv run python benchmarks/kernel_commands_ab.py --corpus /tmp/c5m.txt --rounds 3
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

from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import SOURCE_DIRS, cpu_model, load_average

KEEP_VARIABLE = "SEQLAB_KEEP_LLVM_PAGES"


def setup_commands(corpus: Path, out: Path) -> list[list[str]]:
    """What the measured commands read: a small model and a BPE tokenizer."""
    return [
        ["train", str(corpus), "--hidden", "128", "--layers", "1", "--steps", "20",
         "--out", str(out / "model.safetensors"), "--force", "--quiet"],
        ["tokenize", "train", str(corpus), "--level", "bpe", "--vocab-size", "2000",
         "--out", str(out / "tokenizer.json"), "--force", "--quiet"],
    ]


def commands(corpus: Path, sample: Path, out: Path) -> dict[str, list[str]]:
    return {
        "train (char LSTM 128x1, 20 steps)": [
            "train", str(corpus), "--hidden", "128", "--layers", "1", "--steps", "20",
            "--out", str(out / "lm.safetensors"), "--force", "--quiet"],
        "generate (200 chars)": [
            "generate", str(out / "model.safetensors"), "--length", "200", "--seed", "1",
            "--prompt", "The "],
        "eval (100 KB)": ["eval", str(out / "model.safetensors"), str(sample), "--json"],
        "ngram train --order 3": [
            "ngram", "train", str(corpus), "--order", "3", "--out", str(out / "lm.arpa"),
            "--force", "--quiet"],
        "word2vec train (1 epoch)": [
            "word2vec", "train", str(corpus), "--dim", "50", "--epochs", "1", "--workers", "2",
            "--out", str(out / "vectors.txt"), "--force", "--quiet"],
        "tokenize train --level bpe": [
            "tokenize", "train", str(corpus), "--level", "bpe", "--vocab-size", "2000",
            "--out", str(out / "bpe.json"), "--force", "--quiet"],
        "tokenize encode (100 KB)": [
            "tokenize", "encode", str(out / "tokenizer.json"), str(sample)],
    }


def run(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "seqlab.cli", *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=env, check=False)
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
    parser.add_argument("--baseline", type=Path,
                        help="compare with this checkout's sources instead of the variable")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated substrings of the commands to run")
    parser.add_argument("--skip-warmup", action="store_true")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    env = {k: v for k, v in os.environ.items() if k != KEEP_VARIABLE}
    env["NO_COLOR"] = "1"
    if args.baseline:
        other = ("baseline", dict(env, PYTHONPATH=os.pathsep.join(
            str(args.baseline / d) for d in SOURCE_DIRS)))
    else:
        other = ("keep", dict(env, **{KEEP_VARIABLE: "1"}))
    sides = {"release": env, other[0]: other[1]}
    print(f"CPU {cpu_model()}; corpus {args.corpus} "
          f"({args.corpus.stat().st_size / 1e6:.1f} MB); load {load_average()}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sample = folder / "sample.txt"
        with open(args.corpus, "rb") as corpus:
            sample.write_bytes(corpus.read(100_000).rsplit(b"\n", 1)[0] + b"\n")
        for argv in setup_commands(args.corpus, folder):
            run(argv, env)
        chosen = {name: argv for name, argv in commands(args.corpus, sample, folder).items()
                  if not args.only or any(part in name for part in args.only.split(","))}
        rows: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_ in range(args.rounds + (0 if args.skip_warmup else 1)):
            for name, argv in chosen.items():
                for side, side_env in sides.items():
                    result = run(argv, side_env)
                    if round_ or args.skip_warmup:
                        rows.setdefault((name, side), []).append(result)
                    print(f"round {round_} {side:8} {name}: {result['rss']:.1f} MB, "
                          f"CPU {result['cpu']:.2f} s, wall {result['wall']:.2f} s, "
                          f"load {load_average()}", flush=True)
    print(f"\nmedians of {args.rounds} rounds; load now {load_average()}")
    print(f"| command | peak RSS MB release / {other[0]} | CPU s release / {other[0]} "
          f"(ratio) | wall s release / {other[0]} (ratio) |")
    print("|---|---|---|---|")
    for name in chosen:
        release, kept = rows[(name, "release")], rows[(name, other[0])]

        def med(side, key):
            return statistics.median(r[key] for r in side)

        print(f"| {name} | {med(release, 'rss'):.1f} / {med(kept, 'rss'):.1f} | "
              f"{med(release, 'cpu'):.2f} / {med(kept, 'cpu'):.2f} "
              f"({med(release, 'cpu') / med(kept, 'cpu'):.3f}) | "
              f"{med(release, 'wall'):.2f} / {med(kept, 'wall'):.2f} "
              f"({med(release, 'wall') / med(kept, 'wall'):.3f}) |")


if __name__ == "__main__":
    main()
