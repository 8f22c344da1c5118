"""Char-LM training throughput, seqlab vs PyTorch: the whole step, tokens/s side by side.

Model Embedding(V, H) -> {LSTM, GRU, RNN}(H, H, layers) -> Linear(H, V), float32, batch 32 x 64
steps of truncated BPTT over tinyshakespeare's characters (state carried across chunks and
detached), cross-entropy, clip_grad_norm_(5), Adam(lr 2e-3). A step is forward, backward, clip,
Adam update and zero_grad. Each (library, thread count) runs in its own subprocess with the
thread count fixed by environment and by the library's own `set_num_threads` (torch's,
seqlab's); tokens/s are medians over the timed steps that follow the warm-up steps. The machine
is shared, so each step is also timed in process CPU seconds: "cpu ratio" compares tokens per
CPU second (robust to other processes at 1 thread; at 2 threads it also counts threads
spinning). "% ceil" is the training FLOPs per CPU second (3 x forward, forward per token =
layers * 2 (E + H) G H + 2 H V with E = H, G = 4 / 3 / 1) over the float32 GEMM rate per CPU
second at that thread count (the faster of seqlab's and PyTorch's 512^3 GEMM).

    uv run python benchmarks/charlm_train.py --peer-python /work/peers/bin/python
    uv run python benchmarks/charlm_train.py --cells lstm --sizes 128x1 --threads 1 --steps 5

The PyTorch side runs this same file under the peer interpreter (--peer-python, default
$SEQLAB_PEER_PYTHON; without one only seqlab is timed). Nothing of seqlab is imported there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import (
    add_peer_python,
    alternate_rounds,
    emit_result,
    median,
    print_machine_report,
    run_json_worker,
)

BATCH, BPTT_STEPS = 32, 64
LEARNING_RATE, CLIP_NORM = 2e-3, 5.0
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"
# Issue 3's targets: minimum seqlab / PyTorch ratio per (cell, hidden size).
TARGET_RATIOS = {
    ("lstm", 128): 1.3, ("lstm", 256): 0.95, ("lstm", 512): 0.95,
    ("gru", 128): 1.5, ("gru", 256): 1.3, ("gru", 512): 1.2,
    ("rnn", 128): 1.5, ("rnn", 256): 1.3, ("rnn", 512): 1.2,
}


# ---------------------------------------------------------------- data (shared, NumPy only)
def load_corpus(path: Path) -> tuple[np.ndarray, list[str]]:
    """Character ids (int64) of the whole file and the sorted character vocabulary."""
    if not path.is_file():
        raise FileNotFoundError(
            f"corpus {path} not found: pass --corpus PATH to tinyshakespeare.txt")
    text = path.read_text(encoding="utf-8")
    chars = sorted(set(text))
    lookup = np.zeros(max(map(ord, chars)) + 1, dtype=np.int64)
    lookup[[ord(ch) for ch in chars]] = np.arange(len(chars))
    codes = np.fromiter(map(ord, text), dtype=np.int64, count=len(text))
    return lookup[codes], chars


def stream_batches(tokens: np.ndarray, batch: int = BATCH, steps: int = BPTT_STEPS):
    """Endless (inputs, targets) chunks (steps, batch) of `batch` parallel streams, in order.

    Stream n reads tokens[n * L : (n + 1) * L]; chunk k covers its positions k*steps ..., so the
    state a stream ends one chunk with is the right start for the next. After the last chunk it
    starts over (the caller keeps carrying its state across that boundary, as PyTorch's example).
    """
    per_stream = (len(tokens) - 1) // batch
    inputs = tokens[: batch * per_stream].reshape(batch, per_stream).T
    targets = tokens[1: batch * per_stream + 1].reshape(batch, per_stream).T
    chunks = per_stream // steps
    while True:
        for k in range(chunks):
            rows = slice(k * steps, (k + 1) * steps)
            yield np.ascontiguousarray(inputs[rows]), np.ascontiguousarray(targets[rows])


def forward_flops_per_token(cell: str, hidden: int, layers: int, vocab: int) -> float:
    """Forward FLOPs of one token: layers * 2 (E + H) G H + 2 H V, embedding size E = H."""
    return layers * 2 * (hidden + hidden) * GATES[cell] * hidden + 2 * hidden * vocab


def gemm_gflops(matmul, repeats: int = 5) -> float:
    """Best float32 GEMM rate (per CPU second) of a 512^3 product over `repeats` rounds of 20."""
    best = 0.0
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(20):
            matmul()
        best = max(best, 20 * 2 * 512**3 / max(time.process_time() - start, 1e-9) / 1e9)
    return best


# ---------------------------------------------------------------- seqlab side
class SeqlabCharLM:
    """Embedding -> stack -> Linear on seqlab, with its Adam and state carried across chunks."""

    def __init__(self, cell: str, hidden: int, layers: int, vocab: int, seed: int = 0) -> None:
        from seqlab.autograd import nn, optim
        from seqlab.seqmodels import LanguageModel

        self.cell, self.vocab = cell, vocab
        # What `seqlab train` builds: for a small vocabulary it gathers layer 0's input
        # projection from a (V, G*H) table instead of projecting every embedded token.
        self.model = LanguageModel(vocab, hidden, hidden, layers, cell=cell, generator=seed)
        self.parameters = list(self.model.parameters())
        self.optimizer = optim.Adam(self.parameters, lr=LEARNING_RATE)
        self.state = None
        self._functional, self._clip = nn.functional, nn.utils.clip_grad_norm_

    def logits(self, inputs: np.ndarray, state):
        """(T, N, V) logits and the final state."""
        return self.model(inputs, state)

    def train_step(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        """One truncated-BPTT step; returns the loss."""
        logits, state = self.logits(inputs, self.state)
        loss = self._functional.cross_entropy(logits.reshape(-1, self.vocab), targets.reshape(-1))
        loss.backward()
        self._clip(self.parameters, CLIP_NORM)
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.state = detach_state(state)
        return float(loss.data)

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state=None):
        """Mean cross-entropy (nats) of a (T, N) chunk from `state`, no gradients; new state."""
        from seqlab.autograd import no_grad

        with no_grad():
            logits, state = self.logits(inputs, state)
            loss = self._functional.cross_entropy(logits.reshape(-1, self.vocab),
                                                  targets.reshape(-1))
        return float(loss.data), state


def detach_state(state):
    """Cut a stack state ((h, c) or h) from the graph."""
    if isinstance(state, tuple):
        return tuple(part.detach() for part in state)
    return state.detach()


# ---------------------------------------------------------------- PyTorch side
class TorchCharLM:
    """The same model and step on PyTorch (imported only in the peer interpreter)."""

    def __init__(self, cell: str, hidden: int, layers: int, vocab: int, seed: int = 0) -> None:
        import torch

        torch.manual_seed(seed)
        self.torch, self.vocab = torch, vocab
        stack_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.embedding = torch.nn.Embedding(vocab, hidden)
        self.stack = stack_class(hidden, hidden, layers)
        self.head = torch.nn.Linear(hidden, vocab)
        self.parameters = [*self.embedding.parameters(), *self.stack.parameters(),
                           *self.head.parameters()]
        self.optimizer = torch.optim.Adam(self.parameters, lr=LEARNING_RATE)
        self.state = None

    def logits(self, inputs, state):
        out, state = self.stack(self.embedding(inputs), state)
        return self.head(out), state

    def train_step(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        torch = self.torch
        logits, state = self.logits(torch.from_numpy(inputs), self.state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, self.vocab),
                                                 torch.from_numpy(targets).reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters, CLIP_NORM)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.state = (tuple(s.detach() for s in state) if isinstance(state, tuple)
                      else state.detach())
        return float(loss.item())

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state=None):
        torch = self.torch
        with torch.no_grad():
            logits, state = self.logits(torch.from_numpy(inputs), state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, self.vocab),
                                                     torch.from_numpy(targets).reshape(-1))
        return float(loss.item()), state


# ---------------------------------------------------------------- phase profile (seqlab)
class PhaseTimer:
    """Wraps functions so that each call adds its CPU time to a named phase of this step.

    Process CPU time, not wall time: on a shared machine it leaves out the time other processes
    hold the core (run the profile at 1 thread, where CPU time is this step's own work).
    """

    def __init__(self) -> None:
        self.step: dict[str, float] = {}
        self.history: list[dict[str, float]] = []

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.step[name] = self.step.get(name, 0.0) + time.process_time() - start
        return timed

    def patch_static(self, owner, method: str, name: str) -> None:
        setattr(owner, method, staticmethod(self.wrap(name, getattr(owner, method))))

    def end_step(self, total: float) -> None:
        self.step["step total"] = total
        self.history.append(self.step)
        self.step = {}


def profile_phases(cell: str, hidden: int, layers: int, steps: int, warmup: int,
                   corpus: Path) -> None:
    """Print seqlab's median time per phase of a training step (ms and % of the step)."""
    from seqlab.autograd import engine
    from seqlab.autograd.nn.functions.cross_entropy import SoftmaxCrossEntropy
    from seqlab.autograd.nn.functions.embedding import EmbeddingLookup
    from seqlab.autograd.nn.functions.linear import LinearMap
    from seqlab.seqmodels import fused, recurrent_ops

    timer = PhaseTimer()
    for owner, label in ((EmbeddingLookup, "embedding"), (fused.RecurrentLayer, "stack"),
                         (fused.ProjectedLayer, "stack (layer 0)"),
                         (LinearMap, "linear"), (SoftmaxCrossEntropy, "cross-entropy")):
        timer.patch_static(owner, "forward", f"fwd {label}")
        timer.patch_static(owner, "backward", f"bwd {label}")
    for attribute, label in (("_input_projection", "fwd stack: input GEMM"),
                             ("projected_forward", "fwd stack: time loop"),
                             ("projected_backward", "bwd stack: loop + dW_hh"),
                             ("_input_grads", "bwd stack: dx, dW_ih GEMMs")):
        setattr(recurrent_ops, attribute, timer.wrap(label, getattr(recurrent_ops, attribute)))
    engine_backward = engine.backward
    engine.backward = timer.wrap("bwd total (engine)", engine_backward)

    tokens, chars = load_corpus(corpus)
    model = SeqlabCharLM(cell, hidden, layers, len(chars))
    model._clip = timer.wrap("clip_grad_norm_", model._clip)
    model.optimizer.step = timer.wrap("adam step", model.optimizer.step)
    model.optimizer.zero_grad = timer.wrap("zero_grad", model.optimizer.zero_grad)
    batches = stream_batches(tokens)
    for _ in range(warmup + steps):
        start = time.process_time()
        model.train_step(*next(batches))
        timer.end_step(time.process_time() - start)
    history = timer.history[warmup:]
    names = sorted({name for step in history for name in step},
                   key=lambda name: (name.split()[0] != "fwd", name))
    total = statistics.median(step["step total"] for step in history)
    print(f"seqlab {cell} {hidden}x{layers}: median CPU time of {steps} steps, step "
          f"{total * 1e3:.2f} ms = {BATCH * BPTT_STEPS / total:,.0f} tokens per CPU second")
    for name in names:
        value = statistics.median(step.get(name, 0.0) for step in history)
        print(f"  {name:<26} {value * 1e3:8.3f} ms {100 * value / total:6.1f}%")
    engine.backward = engine_backward


# ---------------------------------------------------------------- workers
def parse_sizes(text: str) -> list[tuple[int, int]]:
    """'128x1,256x2' -> [(128, 1), (256, 2)]."""
    sizes = []
    for item in text.split(","):
        hidden, _, layers = item.partition("x")
        if not hidden.isdigit() or not layers.isdigit():
            raise ValueError(f"--sizes items must look like 256x2 (hidden x layers), got {item!r}")
        sizes.append((int(hidden), int(layers)))
    return sizes


def time_training(model, batches, warmup: int, steps: int) -> dict:
    """Median tokens per wall second and per CPU second over `steps` steps after `warmup`."""
    for _ in range(warmup):
        model.train_step(*next(batches))
    seconds, cpu_seconds, losses = [], [], []
    for _ in range(steps):
        inputs, targets = next(batches)
        start, cpu_start = time.perf_counter(), time.process_time()
        losses.append(model.train_step(inputs, targets))
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    tokens = BATCH * BPTT_STEPS
    return {"tokens_per_s": tokens / statistics.median(seconds),
            "tokens_per_cpu_s": tokens / max(statistics.median(cpu_seconds), 1e-9),
            "last_loss": losses[-1]}


def run_worker(side: str, args: argparse.Namespace) -> dict:
    """Time every requested configuration on one library in this process."""
    tokens, chars = load_corpus(Path(args.corpus))
    if side == "torch":
        import torch

        torch.set_num_threads(args.threads)
        model_class = TorchCharLM
        a, b = torch.rand(512, 512), torch.rand(512, 512)
        out = torch.empty(512, 512)
        gflops = gemm_gflops(lambda: torch.mm(a, b, out=out))
    else:
        from seqlab.autograd import set_num_threads, threads

        set_num_threads(args.threads)
        model_class = SeqlabCharLM
        a, b = (np.random.default_rng(0).random((512, 512), dtype=np.float32) for _ in range(2))
        gflops = gemm_gflops(lambda: threads.matmul(a, b))
    results = {"gemm_gflops": gflops, "configs": {}}
    if side == "seqlab":
        results["blas"] = blas_cores()
    for cell in args.cells.split(","):
        for hidden, layers in parse_sizes(args.sizes):
            model = model_class(cell, hidden, layers, len(chars))
            timing = time_training(model, stream_batches(tokens), args.warmup, args.steps)
            results["configs"][f"{cell}-{hidden}x{layers}"] = timing
    return results


def worker_environment(threads: int, keep_openblas_env: bool = False) -> dict[str, str]:
    """This environment with every thread count set to `threads`.

    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are dropped unless kept: this machine's environment
    forces OpenBLAS onto its Haswell (AVX2) kernels, about 25% slower on large float32 GEMMs
    than the SkylakeX (AVX-512) kernels OpenBLAS picks for this CPU by itself.
    """
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
    if not keep_openblas_env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def blas_cores() -> str:
    """The OpenBLAS libraries loaded in this process and the kernels each one uses."""
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS that np.dot inside Numba calls)
    from threadpoolctl import threadpool_info

    return ", ".join(f"{Path(info['filepath']).name.split('-')[0]}: {info.get('architecture')}"
                     for info in threadpool_info() if info.get("internal_api") == "openblas")


def spawn_worker(python: str, side: str, threads: int, args: argparse.Namespace) -> dict:
    """Run this file as a worker under `python` with `threads` BLAS threads; its JSON result."""
    env = worker_environment(threads, args.keep_openblas_env)
    command = [python, __file__, "--worker", side, "--threads", str(threads),
               "--cells", args.cells, "--sizes", args.sizes, "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--corpus", str(args.corpus)]
    return run_json_worker(command, env, f"{side} worker")


def print_table(threads: int, ours: dict, peer: dict | None, vocab: int) -> None:
    ceiling = max(ours["gemm_gflops"], peer["gemm_gflops"] if peer else 0.0)
    print(f"\n== {threads} thread(s): float32 GEMM ceiling {ceiling:.0f} GFLOP/s "
          f"(NumPy {ours['gemm_gflops']:.0f}"
          + (f", PyTorch {peer['gemm_gflops']:.0f})" if peer else ")")
          + f"; seqlab's OpenBLAS kernels: {ours['blas']}")
    print(f"{'config':<12} {'seqlab tok/s':>12} {'torch tok/s':>11} {'ratio':>6} {'cpu ratio':>9} "
          f"{'target':>6} {'seqlab %ceil':>12} {'torch %ceil':>11}")
    for key, timing in ours["configs"].items():
        cell, size = key.split("-")
        hidden, layers = (int(part) for part in size.split("x"))
        flops = 3 * forward_flops_per_token(cell, hidden, layers, vocab) / 1e9
        ours_rate, ours_cpu = timing["tokens_per_s"], timing["tokens_per_cpu_s"]
        target = TARGET_RATIOS.get((cell, hidden))
        line = f"{key:<12} {ours_rate:>12,.0f} "
        if peer is not None:
            peer_rate = peer["configs"][key]["tokens_per_s"]
            peer_cpu = peer["configs"][key]["tokens_per_cpu_s"]
            ratio = ours_rate / peer_rate
            mark = "" if target is None else (" ok" if ratio >= target else " LOW")
            line += (f"{peer_rate:>11,.0f} {ratio:>5.2f}x {ours_cpu / peer_cpu:>8.2f}x "
                     f"{target or 0:>5.2f}x {100 * ours_cpu * flops / ceiling:>11.0f}% "
                     f"{100 * peer_cpu * flops / ceiling:>10.0f}%{mark}")
        else:
            line += f"{'-':>11} {'-':>6} {'-':>9} {'-':>6} "
            line += f"{100 * ours_cpu * flops / ceiling:>11.0f}%"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_peer_python(parser)
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--cells", default="lstm,gru,rnn", help="comma-separated: lstm,gru,rnn")
    parser.add_argument("--sizes", default="128x1,256x2,512x2",
                        help="comma-separated hidden x layers")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per configuration")
    # PyTorch's oneDNN LSTM took more than 3 steps to settle at 2 threads in some runs
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternating seqlab/torch rounds per thread count (median taken)")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the workers")
    parser.add_argument("--profile", action="store_true",
                        help="print seqlab's time per phase of a step instead (this process's "
                             "threads: set OPENBLAS_NUM_THREADS)")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        for cell in args.cells.split(","):
            for hidden, layers in parse_sizes(args.sizes):
                profile_phases(cell, hidden, layers, args.steps, args.warmup, Path(args.corpus))
        return
    if args.worker:
        args.threads = int(args.threads)
        emit_result(run_worker(args.worker, args))
        return
    parse_sizes(args.sizes)  # fail early on a bad --sizes
    _, chars = load_corpus(Path(args.corpus))
    print_machine_report()
    if args.peer_python is None:
        print("no --peer-python (or $SEQLAB_PEER_PYTHON): timing seqlab only")
    print(f"char LM, batch {BATCH} x {BPTT_STEPS} steps, vocab {len(chars)}, float32, Adam + "
          f"clip {CLIP_NORM}: median tokens/s of {args.steps} steps after {args.warmup} warm-up, "
          f"median of {args.rounds} round(s); ratio = seqlab / PyTorch")
    everything = {}
    pythons = {"seqlab": sys.executable, "torch": args.peer_python}
    sides = [side for side, python in pythons.items() if python]
    for threads in (int(t) for t in args.threads.split(",")):
        rounds = alternate_rounds(args.rounds, sides, lambda side, n=threads: spawn_worker(
            pythons[side], side, n, args))
        ours, peer = merge_rounds(rounds["seqlab"]), merge_rounds(rounds.get("torch", []))
        print_table(threads, ours, peer, len(chars))
        everything[threads] = {"seqlab": ours, "torch": peer}
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))


def merge_rounds(rounds: list[dict]) -> dict | None:
    """Median over rounds of every rate."""
    if not rounds:
        return None
    return {
        "blas": rounds[0].get("blas", ""),
        "gemm_gflops": median(r["gemm_gflops"] for r in rounds),
        "configs": {key: {rate: median(r["configs"][key][rate] for r in rounds)
                          for rate in ("tokens_per_s", "tokens_per_cpu_s")}
                    for key in rounds[0]["configs"]},
    }


if __name__ == "__main__":
    main()
