"""Quality of `seqlab classify` and `seqlab forecast` over seeds, through the real commands.

    uv run python benchmarks/cli_quality.py classify [--seeds 5] [-- extra classify options]
    uv run python benchmarks/cli_quality.py sunspots [--seeds 5]
    uv run python benchmarks/cli_quality.py co2 --horizon 52 [--seeds 5]

classify: the embedded news-vs-encyclopedia passages; per seed (which also draws the stratified
split) the RNN's and the bag-of-words baseline's validation accuracy and macro-F1.
sunspots / co2: the held-out tail (last 20%), the best checkpoint by validation loss, beside
persistence, seasonal naive and AR(p) fitted on the same training part.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_common import print_machine_report


def seqlab(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "seqlab.cli", *args, "--json"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"seqlab {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def spread(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f} (min {min(values):.4f}, " \
           f"max {max(values):.4f})"


def classify(seeds: int, extra: list[str]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(seeds):
            result = seqlab("classify", "train", "--seed", str(seed), "--quiet", "--out",
                            f"{folder}/c{seed}.safetensors", *extra)
            rows.append((result["validation"]["accuracy"], result["baseline"]["accuracy"],
                         result["validation"]["macro_f1"], result["baseline"]["macro_f1"],
                         result["seconds"]))
            print(f"seed {seed}: RNN accuracy {rows[-1][0]:.4f}, baseline {rows[-1][1]:.4f}, "
                  f"{rows[-1][4]:.0f} s", flush=True)
    columns = list(zip(*rows, strict=True))
    print(f"options: {' '.join(extra) or '(defaults)'}")
    print(f"RNN accuracy       {spread(columns[0])}")
    print(f"baseline accuracy  {spread(columns[1])}")
    print(f"RNN macro-F1       {spread(columns[2])}")
    print(f"baseline macro-F1  {spread(columns[3])}")
    print(f"RNN - baseline accuracy per seed: "
          f"{' '.join(f'{a - b:+.4f}' for a, b in zip(columns[0], columns[1], strict=True))}")


def forecast(series: str, seeds: int, extra: list[str]) -> None:
    maes, reports = [], []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(seeds):
            out = f"{folder}/f{seed}.safetensors"
            seqlab("forecast", "train", "--series", series, "--seed", str(seed), "--quiet",
                   "--out", out, *extra)
            best = str(Path(folder) / f"f{seed}.checkpoints" / "best.safetensors")
            report = seqlab("forecast", "eval", best, "--series", series)
            reports.append(report)
            maes.append(report["mae"])
            print(f"seed {seed}: MAE {report['mae']:.4f}", flush=True)
    print(f"options: --series {series} {' '.join(extra)}")
    for key in ("mae", "rmse", "mape", "smape"):
        print(f"model {key:5s} {spread([r[key] for r in reports])}")
    for name, values in reports[0]["baselines"].items():
        if values:
            print(f"{name:14s} " + "  ".join(f"{key} {values[key]:.4f}"
                                             for key in ("mae", "rmse", "mape", "smape")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["classify", "sunspots", "co2"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("extra", nargs="*", help="options passed to the train command")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    if args.task == "classify":
        classify(args.seeds, args.extra)
    else:
        forecast(args.task, args.seeds, args.extra)


if __name__ == "__main__":
    main()
