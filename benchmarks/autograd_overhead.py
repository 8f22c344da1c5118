"""Per-op overhead of seqlab.autograd vs PyTorch eager (CPU, one thread).

Two workloads, forward + backward, timed as medians over many repeats:
  mlp:   a 2-layer MLP training step (batch 32, 64 -> 128 -> 10, ReLU, log-softmax NLL,
         plain SGD update written by hand);
  chain: 20 small elementwise ops on a (16, 16) tensor, then sum().backward().

Run:  uv run python benchmarks/autograd_overhead.py [--peer-python /work/peers/bin/python]
The PyTorch half runs in a subprocess (this script with --torch) under the peer interpreter
(default: $SEQLAB_PEER_PYTHON; skipped with a message when neither is given). Timed blocks
alternate between the two so that both see the same machine load; `ratio` is the median of
the per-block ratios seqlab / PyTorch (below 1: seqlab is faster).

Before/after:  ... autograd_overhead.py --baseline-src /tmp/base [--rounds 3]
times seqlab from that source tree, the installed seqlab and PyTorch each in a fresh process,
alternating round by round, in reverse order every other round (`tree_ab.served_numbers`):
medians of wall and CPU (`time.process_time`) µs per step, after/before and after/PyTorch.
Give an even number of rounds.
"""

from __future__ import annotations

import os

from bench_common import print_machine_report

# One thread everywhere, set before NumPy / PyTorch load their BLAS.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

BATCH, IN_FEATURES, HIDDEN, CLASSES = 32, 64, 128, 10
CHAIN_SHAPE, CHAIN_ROUNDS = (16, 16), 5  # 4 ops a round -> 20 ops
LEARNING_RATE = 0.01


def median_microseconds(step: Callable[[], None], repeats: int, inner: int,
                        warmup: int = 3) -> float:
    """Median over `repeats` timings of `inner` calls, in µs per call."""
    for _ in range(inner * warmup):  # warm up caches, allocator, lazy imports
        step()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            step()
        timings.append((time.perf_counter() - start) / inner * 1e6)
    return statistics.median(timings)


def initial_arrays() -> dict[str, np.ndarray]:
    """The same float32 weights and data for both libraries."""
    rng = np.random.default_rng(0)
    return {
        "x": rng.standard_normal((BATCH, IN_FEATURES)).astype(np.float32),
        "target": rng.integers(0, CLASSES, BATCH),
        "w1": (rng.standard_normal((IN_FEATURES, HIDDEN)) * 0.1).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": (rng.standard_normal((HIDDEN, CLASSES)) * 0.1).astype(np.float32),
        "b2": np.zeros(CLASSES, np.float32),
        "chain": rng.standard_normal(CHAIN_SHAPE).astype(np.float32),
    }


def seqlab_steps() -> dict[str, Callable[[], None]]:
    from seqlab.autograd import Tensor, no_grad

    arrays = initial_arrays()
    x, target = Tensor(arrays["x"]), arrays["target"]
    rows = np.arange(BATCH)
    params = [Tensor(arrays[name].copy(), requires_grad=True) for name in ("w1", "b1", "w2", "b2")]
    w1, b1, w2, b2 = params

    def mlp_step() -> None:
        hidden = (x @ w1 + b1).relu()
        log_probs = (hidden @ w2 + b2).log_softmax(dim=1)
        loss = -log_probs[rows, target].mean()
        loss.backward()
        with no_grad():
            for param in params:
                param.data -= LEARNING_RATE * param.grad
                param.grad = None

    chain_input = Tensor(arrays["chain"], requires_grad=True)

    def chain_step() -> None:
        value = chain_input
        for _ in range(CHAIN_ROUNDS):
            value = ((value * 0.9 + 0.1).tanh() - 0.05).sigmoid()
        value.sum().backward()
        chain_input.grad = None

    return {"mlp": mlp_step, "chain": chain_step}


def torch_steps() -> dict[str, Callable[[], None]]:
    import torch

    torch.set_num_threads(1)
    arrays = initial_arrays()
    x, target = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["target"])
    rows = torch.arange(BATCH)
    params = [
        torch.tensor(arrays[name], requires_grad=True) for name in ("w1", "b1", "w2", "b2")
    ]
    w1, b1, w2, b2 = params

    def mlp_step() -> None:
        hidden = (x @ w1 + b1).relu()
        log_probs = (hidden @ w2 + b2).log_softmax(dim=1)
        loss = -log_probs[rows, target].mean()
        loss.backward()
        with torch.no_grad():
            for param in params:
                param -= LEARNING_RATE * param.grad
                param.grad = None

    chain_input = torch.tensor(arrays["chain"], requires_grad=True)

    def chain_step() -> None:
        value = chain_input
        for _ in range(CHAIN_ROUNDS):
            value = ((value * 0.9 + 0.1).tanh() - 0.05).sigmoid()
        value.sum().backward()
        chain_input.grad = None

    return {"mlp": mlp_step, "chain": chain_step}


def serve(steps: dict[str, Callable[[], None]]) -> None:
    """Peer mode: answer each stdin line `workload inner` with the µs per step of one block."""
    for name in steps:
        median_microseconds(steps[name], repeats=1, inner=20)  # warm up
    print("ready", flush=True)
    for line in sys.stdin:
        name, inner = line.split()
        print(median_microseconds(steps[name], repeats=1, inner=int(inner), warmup=0), flush=True)


def block_medians(step: Callable[[], None], blocks: int, inner: int) -> tuple[float, float]:
    """Medians over `blocks` timed blocks of `inner` calls: (wall, CPU) µs per call."""
    for _ in range(inner * 3):
        step()
    walls, cpus = [], []
    for _ in range(blocks):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(inner):
            step()
        walls.append((time.perf_counter() - wall) / inner * 1e6)
        cpus.append((time.process_time() - cpu) / inner * 1e6)
    return statistics.median(walls), statistics.median(cpus)


def serve_numbers(library: str, blocks: int, inner: int) -> None:
    """--serve: print each workload's (wall, CPU) medians, one library in this process."""
    steps = seqlab_steps() if library == "seqlab" else torch_steps()
    for step in steps.values():
        print(*block_medians(step, blocks, inner))


def before_after(baseline: str, peer_python: str | None, rounds: int, blocks: int,
                 inner: int) -> None:
    """Alternate the baseline tree, the installed seqlab and PyTorch, one process each."""
    import platform

    from tree_ab import cpu_model, load_averages, served_numbers

    sides = {"before": (sys.executable, "seqlab", baseline),
             "after": (sys.executable, "seqlab", None)}
    if peer_python:
        sides["torch"] = (peer_python, "torch", None)
    numbers: dict[str, list[list[float]]] = {side: [] for side in sides}
    loads = [load_averages()]
    for round_index in range(rounds):
        # the order reversed every other round: a side run second in every round measured
        # 3-4% slower than the same tree run first (an A/A of two copies, load 9-10)
        order = list(sides) if round_index % 2 == 0 else list(reversed(sides))
        for side in order:
            python, library, tree = sides[side]
            numbers[side].append(served_numbers(python, __file__, library, tree))
        loads.append(load_averages())
    print(f"{cpu_model()}, {platform.machine()}, NumPy {np.__version__}, 1 thread; "
          f"{rounds} rounds of {blocks} blocks of {inner} steps; load {' -> '.join(loads)}")
    print(f"{'workload':<8} {'measure':<5} " + " ".join(f"{side:>9}" for side in sides)
          + "  after/before" + ("  after/torch" if "torch" in sides else ""))
    for index, name in enumerate(("mlp", "chain")):
        for offset, measure in enumerate(("wall", "cpu")):
            med = {side: statistics.median(run[2 * index + offset] for run in runs)
                   for side, runs in numbers.items()}
            line = f"{name:<8} {measure:<5} " + " ".join(f"{med[s]:9.1f}" for s in sides)
            line += f"  {med['after'] / med['before']:12.3f}"
            if "torch" in med:
                line += f"  {med['after'] / med['torch']:11.3f}"
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch", action="store_true", help="serve PyTorch timings on stdin")
    parser.add_argument("--serve", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--baseline-src", help="a source tree to time as the baseline")
    parser.add_argument("--rounds", type=int, default=4, help="before/after rounds (even)")
    parser.add_argument("--blocks", type=int, default=15, help="before/after: timed blocks")
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"),
                        help="interpreter with torch installed (default $SEQLAB_PEER_PYTHON)")
    parser.add_argument("--repeats", type=int, default=41, help="timed blocks per workload")
    parser.add_argument("--inner", type=int, default=50, help="steps per timed block")
    args = parser.parse_args()

    if args.serve:
        serve_numbers(args.serve, args.blocks, args.inner)
        return
    if args.baseline_src:
        print_machine_report(isolated=True)
        before_after(args.baseline_src, args.peer_python, args.rounds, args.blocks, args.inner)
        return
    if args.torch:
        serve(torch_steps())
        return
    print_machine_report(isolated=True)

    ours_steps = seqlab_steps()
    peer = None
    if args.peer_python:
        peer = subprocess.Popen([args.peer_python, __file__, "--torch"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        assert peer.stdout.readline().strip() == "ready"
    else:
        print("no --peer-python or $SEQLAB_PEER_PYTHON: PyTorch comparison skipped")

    # The machine is shared: alternate seqlab and PyTorch blocks so both see the same load,
    # and report the median of the per-block ratios as well as the medians.
    ours: dict[str, list[float]] = {name: [] for name in ours_steps}
    theirs: dict[str, list[float]] = {name: [] for name in ours_steps}
    for step in ours_steps.values():
        median_microseconds(step, repeats=1, inner=20)  # warm up
    for _ in range(args.repeats):
        for name, step in ours_steps.items():
            ours[name].append(median_microseconds(step, repeats=1, inner=args.inner, warmup=0))
            if peer:
                peer.stdin.write(f"{name} {args.inner}\n")
                peer.stdin.flush()
                theirs[name].append(float(peer.stdout.readline()))
    if peer:
        peer.stdin.close()
        peer.wait()

    ops_per_step = {"mlp": 9, "chain": 4 * CHAIN_ROUNDS + 1}
    print(f"{'workload':<8} {'seqlab µs':>10} {'torch µs':>10} {'ratio':>7}  "
          f"(1 thread, medians of {args.repeats} alternating blocks of {args.inner} steps)")
    for name in ours_steps:
        mine = statistics.median(ours[name])
        if peer:
            other = f"{statistics.median(theirs[name]):10.1f}"
            ratio = f"{statistics.median(a / b for a, b in zip(ours[name], theirs[name])):7.2f}"
        else:
            other, ratio = f"{'-':>10}", f"{'-':>7}"
        print(f"{name:<8} {mine:10.1f} {other} {ratio}  ({ops_per_step[name]} ops/step)")


if __name__ == "__main__":
    sys.exit(main())
