"""The GEMMs around the recurrent loops, BLAS against packed panels, in whole training steps.

One process alternates the two implementations of the training path's input projection and
input/weight gradients (`recurrent_ops.project` / `input_and_weight_grads`: the panels of
`seqmodels.around_products`, or the BLAS products they replaced) between rounds of the same
model's training steps (`composed_train.py`'s runner: forward, cross-entropy, backward, clip,
Adam), and prints the median CPU time a step of each. Same-process alternation keeps a loaded
shared machine's noise out of the comparison (alternating processes moved by 3-5% a round).

    OMP_NUM_THREADS=1 uv run python benchmarks/around_products.py --configs lm-lstm-512x2
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench_common import print_machine_report
from charlm_train import DEFAULT_CORPUS, load_corpus
from composed_train import SeqlabRunner, batches_for, describe


def _blas_project(x, w, bias):
    from seqlab.autograd.threads import matmul

    out = matmul(x, w.T)
    if bias is not None:
        out += bias
    return out


def _blas_grads(d, w, x, need_input_grad):
    from seqlab.autograd.threads import matmul, matmuls

    if need_input_grad:
        dx, dw = matmuls([(d, w), (d.T, x)])
        return dx, dw
    return None, matmul(d.T, x)


def compare(config: str, rounds: int, steps: int) -> None:
    """Print CPU ms a step (median, min) with BLAS and with panels, rounds alternating."""
    from seqlab.seqmodels import around_products, recurrent_ops

    modes = {"blas": (_blas_project, _blas_grads),
             "panels": (around_products.project, around_products.input_and_weight_grads)}
    chars, vocabulary = load_corpus(Path(DEFAULT_CORPUS))
    spec = describe(config)
    runner = SeqlabRunner(spec, len(vocabulary))
    batches = batches_for(spec, chars)
    cpu: dict[str, list[float]] = {mode: [] for mode in modes}
    for mode in modes:  # warm-up (compiles, fills the workspace)
        recurrent_ops.project, recurrent_ops.input_and_weight_grads = modes[mode]
        runner.step(*next(batches))
    for index in range(rounds):
        for mode in (("blas", "panels") if index % 2 == 0 else ("panels", "blas")):
            recurrent_ops.project, recurrent_ops.input_and_weight_grads = modes[mode]
            for _ in range(steps):
                batch = next(batches)
                start = time.process_time()
                runner.step(*batch)
                cpu[mode].append(time.process_time() - start)
    recurrent_ops.project, recurrent_ops.input_and_weight_grads = modes["panels"]
    for mode, times in cpu.items():
        print(f"{config} {mode:6s}: CPU {statistics.median(times) * 1e3:7.1f} ms a step "
              f"(min {min(times) * 1e3:.1f})")
    ratio = statistics.median(cpu["blas"]) / statistics.median(cpu["panels"])
    print(f"{config}: BLAS / panels CPU time {ratio:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="lm-lstm-512x2,lm-lstm-256x2",
                        help="comma-separated composed_train.py configurations")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=2, help="steps per round and mode")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    for config in args.configs.split(","):
        compare(config, args.rounds, args.steps)


if __name__ == "__main__":
    main()
