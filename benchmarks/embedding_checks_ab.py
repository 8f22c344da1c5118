"""What the checks that an Embedding's output is unchanged (`nn/embedding_lookups`: version
counter, then its rows against the table's, bit for bit) and that a recurrent layer's inputs
were not written before backward cost: this tree against a baseline tree (without them),
and PyTorch (which has no table shortcut; its version checks are always on) beside them.

Fresh processes, alternating before / after / torch, `--rounds` times; library defaults
(threads from OMP_NUM_THREADS). Cases:
- `infer-b1`: Embedding(65, 256) -> LSTM(256, 256, 2 layers), 64 tokens x batch 1 under
  no_grad (layer 0 reads the table): median wall and CPU time a call.
- `train-step`: Embedding(65, 128) -> LSTM(128, 256) -> Linear(256, 65), 35 x 32 tokens,
  cross entropy, backward, SGD step: median wall and CPU time a step.
- `source-check`: `F.embedding_source` alone on each case's lookup (seqlab only): the time
  the new check adds a call (before: an identity check only).

    uv run python benchmarks/embedding_checks_ab.py --baseline-src /tmp/base-fixB2 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from tree_ab import cpu_model, load_averages, served_numbers

INFER_CALLS, STEPS, CHECKS = 200, 30, 2000
NAMES = ("infer wall us", "infer CPU us", "step wall ms", "step CPU ms",
         "check b1 us", "check step us")


def _median_times(run, count: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(count):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus)


def serve_seqlab() -> list[float]:
    import numpy as np

    from seqlab.autograd import nn, no_grad, optim
    from seqlab.autograd.nn import functional as F
    from seqlab.seqmodels import LSTM

    rng = np.random.default_rng(0)
    embedding, stack = nn.Embedding(65, 256), LSTM(256, 256, 2)
    window = rng.integers(0, 65, (64, 1))
    with no_grad():
        _median_times(lambda: stack(embedding(window)), 20)  # warm (kernels, kept table)
        infer = _median_times(lambda: stack(embedding(window)), INFER_CALLS)
        looked_up = embedding(window)
        check_b1 = _median_times(lambda: F.embedding_source(looked_up), CHECKS)[0]

    embedding, stack, head = nn.Embedding(65, 128), LSTM(128, 256), nn.Linear(256, 65)
    params = [*embedding.parameters(), *stack.parameters(), *head.parameters()]
    opt = optim.SGD(params, lr=0.01)
    batch, targets = rng.integers(0, 65, (35, 32)), rng.integers(0, 65, (35 * 32,))

    def step() -> None:
        opt.zero_grad()
        out, _ = stack(embedding(batch))
        F.cross_entropy(head(out).reshape(-1, 65), targets).backward()
        opt.step()

    _median_times(step, 3)
    train = _median_times(step, STEPS)
    looked_up = embedding(batch)
    check_step = _median_times(lambda: F.embedding_source(looked_up), CHECKS)[0]
    return [infer[0] * 1e6, infer[1] * 1e6, train[0] * 1e3, train[1] * 1e3,
            check_b1 * 1e6, check_step * 1e6]


def serve_torch() -> list[float]:
    import torch

    torch.manual_seed(0)
    embedding, stack = torch.nn.Embedding(65, 256), torch.nn.LSTM(256, 256, 2)
    window = torch.randint(0, 65, (64, 1))
    with torch.no_grad():
        _median_times(lambda: stack(embedding(window)), 20)
        infer = _median_times(lambda: stack(embedding(window)), INFER_CALLS)
    embedding, stack, head = (torch.nn.Embedding(65, 128), torch.nn.LSTM(128, 256),
                              torch.nn.Linear(256, 65))
    params = [*embedding.parameters(), *stack.parameters(), *head.parameters()]
    opt = torch.optim.SGD(params, lr=0.01)
    batch, targets = torch.randint(0, 65, (35, 32)), torch.randint(0, 65, (35 * 32,))

    def step() -> None:
        opt.zero_grad()
        out, _ = stack(embedding(batch))
        torch.nn.functional.cross_entropy(head(out).reshape(-1, 65), targets).backward()
        opt.step()

    _median_times(step, 3)
    train = _median_times(step, STEPS)
    return [infer[0] * 1e6, infer[1] * 1e6, train[0] * 1e3, train[1] * 1e3, 0.0, 0.0]


def _isa() -> str:
    """The widest x86 vector extension /proc/cpuinfo lists."""
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    return next((isa for isa in ("avx512f", "avx2", "sse4_2") if isa in flags), "other")


def _blas(np) -> str:
    """NumPy's BLAS (name and version), as its build configuration gives it."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # an older NumPy: no dict mode
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", choices=("seqlab", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline-src", type=Path, required=False,
                        help="a source tree without the checks (git archive of the base)")
    parser.add_argument("--peer-python", default="/work/peers/bin/python",
                        help="a Python with torch")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.serve:
        numbers = serve_seqlab() if args.serve == "seqlab" else serve_torch()
        print(" ".join(f"{value:.6g}" for value in numbers))
        return
    if args.baseline_src is None:
        parser.error("--baseline-src is required")
    import numpy as np

    here = Path(__file__).resolve().parent.parent
    script = str(Path(__file__).resolve())
    print(f"CPU {cpu_model()}; ISA {_isa()}; BLAS {_blas(np)}; numpy {np.__version__}; "
          f"OMP_NUM_THREADS {os.environ.get('OMP_NUM_THREADS', 'unset')}; "
          f"load {load_averages()}")
    runs: dict[str, list[list[float]]] = {"before": [], "after": [], "torch": []}
    for _ in range(args.rounds):
        runs["before"].append(served_numbers(sys.executable, script, "seqlab",
                                             str(args.baseline_src)))
        runs["after"].append(served_numbers(sys.executable, script, "seqlab", str(here)))
        runs["torch"].append(served_numbers(args.peer_python, script, "torch", None))
    medians = {side: [statistics.median(r[i] for r in rows) for i in range(len(NAMES))]
               for side, rows in runs.items()}
    for i, name in enumerate(NAMES):
        before, after, torch_ = (medians[side][i] for side in ("before", "after", "torch"))
        peer = f" | torch {torch_:.1f} (after/torch {after / torch_:.2f})" if torch_ else ""
        print(f"{name:14} before {before:9.1f} after {after:9.1f} "
              f"(after/before {after / before:.3f}){peer}")
    print(f"load after {load_averages()}")


if __name__ == "__main__":
    main()
