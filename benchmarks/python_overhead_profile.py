"""Where the serial Python of a `composed_train` step goes: cProfile call counts and tottime.

For each configuration (`composed_train.py`'s names: `lstm-256x2` is Embedding -> LSTM(256,
2 layers) -> Linear with cross_entropy, clip_grad_norm_(5), Adam, zero_grad; `lm-lstm-256x2`
the same through `LanguageModel`; `infer-b1` a batch-1 no-grad forward) it runs warm-up steps,
then `--steps` steps under cProfile, and prints per step: the Python calls, the tottime in
Numba kernels, BLAS and waits (kernels/, `BLAS_HOSTS`, lock acquires, spin barriers), the
tottime of seqlab's Python by file, and the Python functions with the most tottime. cProfile
adds about 1 us a call, so the Python figures are upper bounds; on a loaded machine a
preemption lands in any function: read the call counts as exact and the times over many
steps.

    OMP_NUM_THREADS=1 uv run python benchmarks/python_overhead_profile.py \\
        --configs lstm-256x2,lm-lstm-256x2,infer-b1 --steps 50
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats

import numpy as np
from bench_common import print_machine_report
from composed_train import SeqlabRunner, describe, machine_info
from tree_ab import load_averages

VOCAB = 65
# functions whose tottime is mostly BLAS products they run inline (`a @ b`, np.matmul: no
# profiled call of their own): counted with the kernels
BLAS_HOSTS = {("threads.py", "matmul"), ("threads.py", "product"), ("threads.py", "block"),
              ("rows_layer.py", "weight_grads"), ("rows_hh_grad.py", "after_loop"),
              ("around_products.py", "recurrent_weight_grad")}


def is_wait_or_kernel(path: str, name: str) -> bool:
    """Whether a profiled function is a Numba kernel, a BLAS host or a wait (not serial
    Python)."""
    return ("/kernels/" in path or "acquire" in name or name == "arrive_and_wait"
            or (path.rsplit("/", 1)[-1], name) in BLAS_HOSTS)


def profile(config: str, steps: int, warm: int, top: int) -> None:
    """Print one configuration's per-step calls and tottime, grouped and by function."""
    spec = describe(config)
    runner = SeqlabRunner(spec, VOCAB)
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, VOCAB, (spec["batch"], spec["steps"]))
    targets = rng.integers(0, VOCAB, inputs.shape)
    for _ in range(warm):
        runner.step(inputs, targets, None)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        runner.step(inputs, targets, None)
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_file: collections.Counter = collections.Counter()
    calls_by_file: collections.Counter = collections.Counter()
    functions = []
    waits = python = 0.0
    for (path, line, name), (_, calls, tottime, _, _) in stats.stats.items():
        if is_wait_or_kernel(path, name):
            waits += tottime
            continue
        python += tottime
        key = f"builtin {name}" if path.startswith("~") else path.rsplit("/", 1)[-1]
        by_file[key] += tottime
        calls_by_file[key] += calls
        if not path.startswith("~"):
            functions.append((tottime, calls, f"{path.rsplit('/', 1)[-1]}:{line} {name}"))
    per = 1e3 / steps
    print(f"\n## {config}: {stats.total_calls / steps:.0f} calls a step, kernels + BLAS + waits "
          f"{waits * per:.2f} ms, Python (with builtins) {python * per:.2f} ms a step "
          f"(load {load_averages()})")
    for key, tottime in by_file.most_common(top):
        print(f"  {tottime * per:7.3f} ms {calls_by_file[key] / steps:7.1f} calls  {key}")
    print("  functions:")
    for tottime, calls, name in sorted(functions, reverse=True)[:top]:
        print(f"  {tottime * per:7.3f} ms {calls / steps:7.1f} calls  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="lstm-256x2,lm-lstm-256x2,infer-b1")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    print(machine_info())
    for config in args.configs.split(","):
        profile(config, args.steps, args.warm, args.top)


if __name__ == "__main__":
    main()
