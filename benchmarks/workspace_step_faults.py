"""Per-step minor page faults and CPU of a training run's first steps and its steady step, this
tree against a baseline tree, alternating processes (the workspace cache's warm-up: which
steps fault its blocks back in).

Models: `lstm-base` (config_sweep's point: F 40 -> LSTM 128 -> Linear, batch 32 x 64, MSE, Adam)
and `lm-2x256` (a 2 x 256 LSTM `LanguageModel`, vocab 96, batch 32 x 64, cross-entropy, Adam,
state carried across steps as `seqlab train` does). In process, `resource.getrusage` around
each step; steps 1-6, then the median of `--steady` more. Threads from OMP_NUM_THREADS.

    uv run python benchmarks/workspace_step_faults.py --baseline-src /tmp/base-wsfix
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

HERE = Path(__file__).resolve().parent
FIRST_STEPS = 6


def lstm_base_step():
    sys.path.insert(0, str(HERE))
    import config_sweep

    spec = config_sweep.describe("lstm-base")
    runner = config_sweep.SeqlabPoint(spec)
    rng = np.random.default_rng(0)
    batches = [config_sweep.batch_arrays(spec, rng) for _ in range(2)]
    count = [0]

    def step() -> None:
        runner.step(*batches[count[0] % 2])
        count[0] += 1
    return step


def lm_step():
    from seqlab.autograd import nn, optim
    from seqlab.seqmodels import LanguageModel

    vocab, steps, batch = 96, 64, 32
    model = LanguageModel(vocab, 256, 256, 2, cell="lstm", generator=0)
    parameters = list(model.parameters())
    optimizer = optim.Adam(parameters, lr=1e-3)
    rng = np.random.default_rng(0)
    tokens = [rng.integers(0, vocab, size=(steps + 1, batch)) for _ in range(2)]
    carried = {"state": None, "count": 0}

    def step() -> None:
        chunk = tokens[carried["count"] % 2]
        logits, state = model(chunk[:-1], carried["state"])
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), chunk[1:].reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad()
        carried["state"] = tuple(part.detach() for part in state)
        carried["count"] += 1
    return step


MODELS = {"lstm-base": lstm_base_step, "lm-2x256": lm_step}


def worker(model: str, steady: int) -> dict:
    step = MODELS[model]()
    faults, cpus = [], []
    for _ in range(FIRST_STEPS + steady):
        before = resource.getrusage(resource.RUSAGE_SELF)
        step()
        after = resource.getrusage(resource.RUSAGE_SELF)
        faults.append(after.ru_minflt - before.ru_minflt)
        cpus.append(1e3 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return {"faults": faults[:FIRST_STEPS], "cpu_ms": cpus[:FIRST_STEPS],
            "steady_faults": statistics.median(faults[FIRST_STEPS:]),
            "steady_cpu_ms": statistics.median(cpus[FIRST_STEPS:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, help="a tree to compare (git archive)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steady", type=int, default=20)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.steady)))
        return
    print_machine_report(isolated=True)
    print(f"CPU: {platform.processor() or platform.machine()}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    np.show_config()
    sides = {"new": None}
    if args.baseline_src:
        base = args.baseline_src.resolve()
        sides["base"] = os.pathsep.join(str(base / part) for part in (
            "packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src"))
    for model in args.models.split(","):
        for round_index in range(args.rounds):
            order = list(sides) if round_index % 2 == 0 else list(reversed(sides))
            for side in order:
                env = dict(os.environ)
                if sides[side]:
                    env["PYTHONPATH"] = sides[side]
                out = subprocess.run([sys.executable, __file__, "--worker", model,
                                      "--steady", str(args.steady)], env=env, check=True,
                                     capture_output=True, text=True).stdout
                result = json.loads(out.splitlines()[-1])
                load = Path("/proc/loadavg").read_text().split()[:3]
                print(f"{model} {side:4} round {round_index + 1}: faults steps 1-6 "
                      f"{result['faults']} steady {result['steady_faults']:.0f}; CPU ms steps "
                      f"1-6 {[round(c, 1) for c in result['cpu_ms']]} steady "
                      f"{result['steady_cpu_ms']:.1f}; load {' '.join(load)}", flush=True)


if __name__ == "__main__":
    main()
