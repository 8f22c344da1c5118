"""The compositions users write, seqlab vs PyTorch side by side, each with its library defaults.

No `set_num_threads` call on either side: each worker process gets OMP_NUM_THREADS=n and
nothing else, and each library takes its threads from that, as a user's script would. Every
configuration is float32; training steps are forward, cross-entropy, backward, clip_grad_norm_(5),
Adam(2e-3), zero_grad.

- `<cell>-HxL`: Embedding(65, H) -> {LSTM, GRU, RNN}(H, H, L) -> Linear(H, 65), composed by hand,
  batch 32 x 64 steps of tinyshakespeare, state carried across chunks (truncated BPTT);
- `lm-<cell>-HxL`: the same through seqlab's `LanguageModel` (PyTorch: the same composition);
- `bilstm-lengths`: Embedding(65, 128) -> bidirectional LSTM(128) over per-sequence lengths
  (lengths in [32, 64]) -> Linear(256, 65), batch 32 x 64; PyTorch runs packed sequences
  (pack_padded_sequence, enforce_sorted=False), seqlab passes `lengths=`;
- `word-lm`: Embedding(10000, 256) -> LSTM(256, 256, 2) -> Linear(256, 10000), batch 32 x 35,
  Zipf-distributed token ids;
- `infer-b32` / `infer-b1`: forward of Embedding(65, 256) -> LSTM(256, 256, 2) -> Linear under
  no_grad, batch 32 x 64 and 1 x 64;
- `infer-<cell>-HxL`: forward of Embedding(65, H) -> {LSTM, GRU, RNN}(H, H, L) -> Linear under
  no_grad, batch 32 x 64 (`infer-gru-256x2-b1`: batch 1);
- `word-<cell>-HxL`: `word-lm`'s composition with another cell and size.

Shapes no name above lists: append `-b<batch>`, `-t<steps>` (any configuration) and `-v<vocab>`
(word models only) to a name, e.g. `lstm-384x1-b8-t256`, `word-lm-v50000-b128`,
`word-gru-64x1-v5000-t16`, `infer-b1-t256`.

Memory: each worker prints its peak resident memory and how far the peak rose above its
resident memory after imports (run one configuration per call to read it per configuration).
Rates are tokens per second; each worker times `--timed-steps` steps (default 20) after
`--warmup` untimed ones, and the table gives medians over rounds of each worker's figures;
rounds alternate seqlab and PyTorch processes. The columns:
- `seqlab tok/s`, `torch tok/s`, `ratio`: the median step's rate (seqlab / PyTorch), as before;
- `cpu ratio`: the same ratio of tokens per second of the worker's CPU time (process_time):
  at one thread it is the work each library does, free of the time other jobs take the core
  away (on a loaded shared machine the wall-clock ratio moves by 0.2-0.4 between runs); at two
  threads it counts both threads, spin-waits included, so read it only beside the wall ratio;
- `window`, `w cpu`: the ratio of the rates over each worker's whole timed window (tokens over
  the total wall / CPU time of the timed steps, i.e. over the mean step), wall and CPU;
- `seqlab faults`, `torch faults`: minor page faults a timed step (getrusage's ru_minflt
  around each step), median / mean.
**The README's claims use `window`** (and `w cpu` beside it on a loaded machine): it is the
user's throughput, what a long run's total time over its tokens gives. The median step is one
draw of a state that can change from step to step: PyTorch's glibc malloc gives large blocks
back (munmap over its mmap threshold, heap trimming under it) and the next step faults 8-16
thousand pages in again (2 x 256: a 31 MiB block, just under glibc's 32 MiB ceiling, so some
steps fault and some do not; 2 x 512: a 61 MiB block mapped and unmapped every step), so a
median of six steps read 1.26-1.59x on the same code (BENCHMARKS.md, "PyTorch's 'fast mode'").
Twenty steps sample both states; the fault columns say which state a side's steps were in.
`short` flags a window ratio under the issue's target. PyTorch's allocator is never tuned:
these are its library defaults (`torch_rate_modes.py --malloc-env` measures the tuned case).

The default run (16 configurations, `--threads 1,2 --rounds 3`) takes ~10 minutes on a quiet
2-core machine: a step of every configuration on both sides is ~4.8 s at one thread and ~2.8 s
at two (BENCHMARKS.md's last quiet table of every configuration), x 23 steps x 3 rounds ~8.7
minutes, plus ~1 minute of process starts and first steps; pass `--configs` for less.

    uv run python benchmarks/composed_train.py --peer-python /work/peers/bin/python
    uv run python benchmarks/composed_train.py --configs lstm-128x1,word-lm --threads 1 --rounds 3

The PyTorch side runs this file under the peer interpreter; nothing of seqlab is imported there.
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

import numpy as np
from bench_common import (
    add_peer_python,
    alternate_rounds,
    emit_result,
    library_info,
    load_averages,
    machine_info,  # noqa: F401  (other benchmarks import it from here)
    median,
    print_machine_report,
    require_peer_python,
    run_json_worker,
    thousands,
    time_steps,
    worker_environment,
)
from charlm_train import DEFAULT_CORPUS, load_corpus, stream_batches

LEARNING_RATE, CLIP_NORM = 2e-3, 5.0
DEFAULT_CONFIGS = ("lstm-128x1,lstm-256x2,lstm-512x2,gru-128x1,gru-256x2,gru-512x2,rnn-128x1,"
                   "rnn-256x2,lm-lstm-128x1,lm-lstm-256x2,lm-lstm-512x2,lm-gru-128x1,bilstm-lengths,"
                   "word-lm,infer-b32,infer-b1")
# the targets (seqlab / PyTorch tokens/s)
TARGETS = {"lstm": 1.2, "gru": 1.2, "rnn": 1.5, "lm": 1.4, "bilstm": 1.5, "word": 1.2,
           "infer": 1.2}
WORD_VOCAB, WORD_STEPS = 10_000, 35


SHAPE_SUFFIXES = {"b": "batch", "t": "steps", "v": "vocab"}


def describe(config: str) -> dict:
    """What a configuration name means: kind, cell, hidden, layers, batch, steps, vocab
    (vocab None: the corpus's characters), with any `-b`/`-t`/`-v` shape suffixes applied."""
    parts = config.split("-")
    overrides = {}
    while len(parts) > 2 and parts[-1][:1] in SHAPE_SUFFIXES and parts[-1][1:].isdigit():
        suffix = parts.pop()
        overrides[SHAPE_SUFFIXES[suffix[0]]] = int(suffix[1:])
    spec = {"vocab": None, **_named_spec(config, parts)}
    if "vocab" in overrides and spec["kind"] != "word":
        raise SystemExit(f"{config!r}: -v<vocab> applies to word models only")
    if any(value < 1 for value in overrides.values()):
        raise SystemExit(f"{config!r}: shape suffixes must be positive")
    return {**spec, **overrides}


def _named_spec(config: str, parts: list[str]) -> dict:
    """The configuration a name (without shape suffixes) stands for."""
    if parts[0] == "word" and len(parts) == 3 and parts[1] in ("lstm", "gru", "rnn"):
        hidden, layers = (int(v) for v in parts[2].split("x"))
        return {"kind": "word", "cell": parts[1], "hidden": hidden, "layers": layers,
                "batch": 32, "steps": WORD_STEPS, "vocab": WORD_VOCAB}
    config = "-".join(parts)
    if parts[0] in ("lstm", "gru", "rnn") or parts[0] == "lm":
        cell, size = (parts[1], parts[2]) if parts[0] == "lm" else (parts[0], parts[1])
        hidden, layers = (int(v) for v in size.split("x"))
        return {"kind": "lm" if parts[0] == "lm" else "composed", "cell": cell,
                "hidden": hidden, "layers": layers, "batch": 32, "steps": 64}
    if config == "bilstm-lengths":
        return {"kind": "bilstm", "cell": "lstm", "hidden": 128, "layers": 1, "batch": 32,
                "steps": 64}
    if config == "word-lm":
        return {"kind": "word", "cell": "lstm", "hidden": 256, "layers": 2, "batch": 32,
                "steps": WORD_STEPS, "vocab": WORD_VOCAB}
    if config in ("infer-b32", "infer-b1"):
        return {"kind": "infer", "cell": "lstm", "hidden": 256, "layers": 2,
                "batch": 32 if config == "infer-b32" else 1, "steps": 64}
    if parts[0] == "infer" and len(parts) == 3 and parts[1] in ("lstm", "gru", "rnn"):
        hidden, layers = (int(v) for v in parts[2].split("x"))
        return {"kind": "infer", "cell": parts[1], "hidden": hidden, "layers": layers,
                "batch": 32, "steps": 64}
    raise SystemExit(f"unknown config {config!r}; known: {DEFAULT_CONFIGS}")


# ---------------------------------------------------------------- batches (NumPy only)
def batches_for(spec: dict, chars: np.ndarray, seed: int = 0):
    """Endless (inputs, targets, lengths) batches, time-major (T, N)."""
    rng = np.random.default_rng(seed)
    if spec["kind"] == "word":
        while True:
            ids = np.minimum(rng.zipf(1.2, (spec["steps"] + 1, spec["batch"])) - 1,
                             spec["vocab"] - 1).astype(np.int64)
            yield np.ascontiguousarray(ids[:-1]), np.ascontiguousarray(ids[1:]), None
    for inputs, targets in stream_batches(chars, spec["batch"], spec["steps"]):
        lengths = None
        if spec["kind"] == "bilstm":
            lengths = rng.integers(spec["steps"] // 2, spec["steps"] + 1, spec["batch"])
        yield inputs, targets, lengths


# ---------------------------------------------------------------- seqlab side
def seqlab_model(spec: dict, vocab: int):
    """(model, parameters) of a configuration, composed as a user writes it."""
    from seqlab.autograd import nn
    from seqlab.seqmodels import GRU, LSTM, RNN, LanguageModel

    hidden, layers = spec["hidden"], spec["layers"]
    if spec["kind"] == "lm":
        model = LanguageModel(vocab, hidden, hidden, layers, cell=spec["cell"], generator=0)
        return model, list(model.parameters())
    stack_class = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[spec["cell"]]
    bidirectional = spec["kind"] == "bilstm"

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(vocab, hidden)
            self.stack = stack_class(hidden, hidden, layers, bidirectional=bidirectional)
            self.head = nn.Linear(hidden * (2 if bidirectional else 1), vocab)

        def forward(self, inputs, state=None, lengths=None):
            out, state = self.stack(self.embedding(inputs), state, lengths=lengths)
            return self.head(out), state

    model = Net()
    return model, list(model.parameters())


class SeqlabRunner:
    def __init__(self, spec: dict, vocab: int) -> None:
        from seqlab.autograd import no_grad, optim
        from seqlab.autograd.nn import functional, utils

        self.spec, self.vocab = spec, vocab
        self.model, self.parameters = seqlab_model(spec, vocab)
        self.optimizer = optim.Adam(self.parameters, lr=LEARNING_RATE)
        self.functional, self.clip, self.no_grad = functional, utils.clip_grad_norm_, no_grad
        self.state = None

    def step(self, inputs, targets, lengths) -> None:
        if self.spec["kind"] == "infer":
            with self.no_grad():
                self.model(inputs)
            return
        if self.spec["kind"] == "bilstm":
            logits, _ = self.model(inputs, None, lengths)
        else:
            logits, state = self.model(inputs, self.state)
            self.state = (tuple(s.detach() for s in state) if isinstance(state, tuple)
                          else state.detach())
        loss = self.functional.cross_entropy(logits.reshape(-1, self.vocab), targets.reshape(-1))
        loss.backward()
        self.clip(self.parameters, CLIP_NORM)
        self.optimizer.step()
        self.optimizer.zero_grad()


# ---------------------------------------------------------------- PyTorch side
class TorchRunner:
    def __init__(self, spec: dict, vocab: int) -> None:
        import torch

        torch.manual_seed(0)
        self.torch, self.spec, self.vocab = torch, spec, vocab
        hidden, layers = spec["hidden"], spec["layers"]
        stack_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
        bidirectional = spec["kind"] == "bilstm"
        self.embedding = torch.nn.Embedding(vocab, hidden)
        self.stack = stack_class[spec["cell"]](hidden, hidden, layers,
                                               bidirectional=bidirectional)
        self.head = torch.nn.Linear(hidden * (2 if bidirectional else 1), vocab)
        self.parameters = [*self.embedding.parameters(), *self.stack.parameters(),
                           *self.head.parameters()]
        self.optimizer = torch.optim.Adam(self.parameters, lr=LEARNING_RATE)
        self.state = None

    def forward(self, inputs, state, lengths):
        torch = self.torch
        x = self.embedding(inputs)
        if lengths is None:
            out, state = self.stack(x, state)
        else:
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.from_numpy(lengths),
                                                             enforce_sorted=False)
            out, state = self.stack(packed)
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=inputs.shape[0])
        return self.head(out), state

    def step(self, inputs, targets, lengths) -> None:
        torch = self.torch
        inputs = torch.from_numpy(inputs)
        if self.spec["kind"] == "infer":
            with torch.no_grad():
                self.forward(inputs, None, None)
            return
        logits, state = self.forward(inputs, self.state, lengths)
        if self.spec["kind"] != "bilstm":
            self.state = (tuple(s.detach() for s in state) if isinstance(state, tuple)
                          else state.detach())
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, self.vocab),
                                                 torch.from_numpy(targets).reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters, CLIP_NORM)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


# ---------------------------------------------------------------- workers
def run_worker(side: str, args: argparse.Namespace) -> dict:
    """Time every configuration on one library in this process: per configuration, tokens/s
    of the median step ("configs", "cpu") and of the whole timed window ("window",
    "window_cpu"), and minor page faults a step ("faults": [median, mean])."""
    chars, vocabulary = load_corpus(Path(args.corpus))
    runner_class = TorchRunner if side == "torch" else SeqlabRunner
    library_info(side)  # imports the library first: memory growth is the models' and steps'
    results = {"configs": {}, "cpu": {}, "window": {}, "window_cpu": {}, "faults": {},
               "rss_before_mib": resident_mib(), "timed_steps": args.steps}
    for config in args.configs.split(","):
        spec = describe(config)
        vocab = spec["vocab"] or len(vocabulary)
        runner = runner_class(spec, vocab)
        batches = batches_for(spec, chars)
        for _ in range(args.warmup):
            runner.step(*next(batches))
        timed = time_steps(lambda batch, run=runner: run.step(*batch), batches, args.steps)
        rates = timed.summary(spec["batch"] * spec["steps"])
        results["configs"][config], results["cpu"][config] = rates["wall"], rates["cpu"]
        results["window"][config] = rates["window_wall"]
        results["window_cpu"][config] = rates["window_cpu"]
        results["faults"][config] = [rates["faults_median"], rates["faults_mean"]]
    results["library"] = library_info(side)
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def resident_mib() -> float:
    """This process's resident memory now, MiB (after imports, before any model)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def spawn_worker(python: str, side: str, threads: int, args: argparse.Namespace) -> dict:
    """This file as a worker under `python` with OMP_NUM_THREADS=threads (PYTHONPATH as this
    process has it); its JSON result."""
    command = [python, __file__, "--worker", side, "--configs", args.configs,
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--corpus", args.corpus]
    return run_json_worker(command, worker_environment(threads), f"{side} worker")


def target_of(config: str) -> float:
    return TARGETS[config.split("-")[0]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_peer_python(parser)
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help="comma-separated")
    parser.add_argument("--threads", default="1,2", help="comma-separated OMP_NUM_THREADS values")
    parser.add_argument("--timed-steps", "--steps", dest="steps", type=int, default=20,
                        help="timed steps per configuration (default 20: PyTorch's step flips "
                             "between a faulting and a fault-free state, both must be sampled)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating seqlab/PyTorch rounds per thread count")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 1:
        raise SystemExit("--timed-steps must be at least 1")
    for config in args.configs.split(","):
        describe(config)
    if args.worker:
        emit_result(run_worker(args.worker, args))
        return
    require_peer_python(args.peer_python)
    print_machine_report()
    print(f"{args.rounds} alternating round(s) per thread count, {args.steps} timed steps after "
          f"{args.warmup} warm-up; tokens/s, medians over rounds; ratio = seqlab / PyTorch")
    print("ratio / cpu ratio: of median steps; window / w cpu: of whole timed windows (tokens "
          "over total time: a long run's throughput, the figure claims use); faults: minor page "
          "faults a step, median/mean")
    pythons = {"seqlab": sys.executable, "torch": args.peer_python}
    for threads in (int(t) for t in args.threads.split(",")):
        rounds = alternate_rounds(args.rounds, ("seqlab", "torch"), lambda side, n=threads:
                                  spawn_worker(pythons[side], side, n, args))
        print(f"\n== OMP_NUM_THREADS={threads}; load average after the rounds: {load_averages()}")
        for side in ("seqlab", "torch"):
            rss = max(r["peak_rss_mib"] for r in rounds[side])
            growth = max(r["peak_rss_mib"] - r["rss_before_mib"] for r in rounds[side])
            print(f"  {side}: {rounds[side][0]['library']}; worker peak RSS {rss:.0f} MiB, "
                  f"{growth:.0f} MiB above its RSS after imports")
        print(f"{'config':<16} {'seqlab tok/s':>12} {'torch tok/s':>12} {'ratio':>6} "
              f"{'target':>6} {'cpu ratio':>9} {'window':>6} {'w cpu':>6} "
              f"{'seqlab faults':>13} {'torch faults':>13}")
        for config in args.configs.split(","):
            print(table_row(config, rounds), flush=True)


def table_row(config: str, rounds: dict[str, list[dict]]) -> str:
    """One configuration's line: median-step rates and ratios (wall, CPU), the window ratios
    (wall, CPU) and each side's faults a step (medians over rounds of the median and the
    mean); "short" where the window ratio misses the target."""
    def over_rounds(side: str, key: str, index: int | None = None) -> float:
        return median(r[key][config] if index is None else r[key][config][index]
                      for r in rounds[side])

    ours, peer = over_rounds("seqlab", "configs"), over_rounds("torch", "configs")
    ratio, target = ours / peer, target_of(config)
    cpu_ratio = over_rounds("seqlab", "cpu") / over_rounds("torch", "cpu")
    window = over_rounds("seqlab", "window") / over_rounds("torch", "window")
    window_cpu = over_rounds("seqlab", "window_cpu") / over_rounds("torch", "window_cpu")
    faults = {side: f"{thousands(over_rounds(side, 'faults', 0))}/"
                    f"{thousands(over_rounds(side, 'faults', 1))}" for side in rounds}
    return (f"{config:<16} {ours:>12,.0f} {peer:>12,.0f} {ratio:>5.2f}x {target:>5.1f}x"
            f" {cpu_ratio:>8.2f}x {window:>5.2f}x {window_cpu:>5.2f}x"
            f" {faults['seqlab']:>13} {faults['torch']:>13}"
            f"{'' if window >= target else '  short'}")


if __name__ == "__main__":
    main()
