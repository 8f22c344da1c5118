"""No-grad LSTM calls at batch 1 x 64 after the review fixes of kept panels (fixR1): seqlab
against a baseline tree and torch.nn.LSTM, alternating processes, rounds of 200 calls each.

`deep8`: LSTM(32, 32, 8 layers), weights fixed (every layer's panels kept; before the fix the
8-entry cache evicted them and every call repacked every layer). `edit32`, `edit128`,
`edit2x128`: LSTM(32, 32), LSTM(40, 128), LSTM(40, 128, 2 layers) with one weight written
before every call (an optimizer step between evaluations: the watch stops keeping; before the
fix such a call took the layer-by-layer path, now the stacked one with panels packed per call).

    uv run python benchmarks/kept_panels_fix_ab.py --baseline-src /tmp/base-fixR1 \\
        --peer-python /work/peers/bin/python --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CASES = {"deep8": (8, 32, 32, False), "edit32": (1, 32, 32, True),
         "edit128": (1, 40, 128, True), "edit2x128": (2, 40, 128, True)}

WORKER = r'''
import json, sys, time
import numpy as np
layers, features, hidden, edit = json.loads(sys.argv[1])
x = np.random.default_rng(0).standard_normal((64, 1, features)).astype(np.float32)
if sys.argv[2] == "torch":
    import torch
    stack, given = torch.nn.LSTM(features, hidden, num_layers=layers), torch.from_numpy(x)
    graphless = torch.no_grad
else:
    from seqlab.autograd import Tensor, no_grad as graphless
    from seqlab.seqmodels.recurrent import LSTM
    stack, given = LSTM(features, hidden, num_layers=layers, generator=0), Tensor(x)
weight = stack.weight_hh_l0.data
def call():
    with graphless():
        if edit:
            weight[0, 0] += 1e-6
        stack(given)
for _ in range(20):
    call()
calls = 200
cpu, wall = time.process_time(), time.perf_counter()
for _ in range(calls):
    call()
print(json.dumps({"cpu": (time.process_time() - cpu) / calls * 1e3,
                  "wall": (time.perf_counter() - wall) / calls * 1e3}))
'''


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-src", type=Path, required=True,
                        help="a tree of the baseline commit (git archive)")
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    import numpy as np

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    flags = next((line.split(":", 1)[1].split() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), [])
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    print(f"CPU {model}, ISA {'AVX-512' if 'avx512f' in flags else 'AVX2'}, BLAS "
          f"{blas['name']} {blas.get('version')}, OMP_NUM_THREADS "
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, load {_load()}")
    baseline = os.pathsep.join(str(args.baseline_src / "packages" / name / "src")
                               for name in ("autograd", "nlp", "seqmodels"))
    sides = {"base": (sys.executable, {"PYTHONPATH": baseline}), "new": (sys.executable, {})}
    if args.peer_python:
        sides["torch"] = (args.peer_python, {})
    for case in args.cases.split(","):
        runs: dict[str, list] = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side, (python, env) in sides.items():
                done = subprocess.run([python, "-c", WORKER, json.dumps(CASES[case]), side],
                                      capture_output=True, text=True, check=True,
                                      env={**os.environ, **env})
                runs[side].append(json.loads(done.stdout))
        median = {side: {key: statistics.median(run[key] for run in got) for key in ("cpu", "wall")}
                  for side, got in runs.items()}
        line = " | ".join(f"{side} {m['wall']:.3f} wall, {m['cpu']:.3f} cpu ms"
                          for side, m in median.items())
        ratios = [f"new/base {median['new']['wall'] / median['base']['wall']:.2f} wall, "
                  f"{median['new']['cpu'] / median['base']['cpu']:.2f} cpu"]
        if "torch" in median:
            ratios.append(f"new/torch {median['new']['wall'] / median['torch']['wall']:.2f} wall, "
                          f"{median['new']['cpu'] / median['torch']['cpu']:.2f} cpu")
        print(f"{case}: {line} || {'; '.join(ratios)}", flush=True)
    print(f"load after {_load()}")


if __name__ == "__main__":
    main()
