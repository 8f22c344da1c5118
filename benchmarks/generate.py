"""Batch-1 sampling speed of a 2 x 256 char LSTM as users get it, seqlab vs PyTorch, in chars/s.

seqlab side (a worker process with OMP_NUM_THREADS=n, no set_num_threads call):
  seqlab command   `seqlab generate MODEL --length N --seed S --prompt P` run in the worker
                   through the CLI's own entry point (`seqlab.cli.app.main`, stdout to
                   /dev/null): the time of --length N minus that of --length 1, so loading the
                   checkpoint and parsing are left out and everything per token (sampler,
                   decoding, writing) is in;
  seqlab library   `seqlab.nlp.generation.sample(model, prompt, SamplingOptions(...))`, the
                   call the command makes, on the loaded model (temperature 1);
  with --process   also the command as separate processes (`python -m seqlab.cli generate`):
                   (N - 1) chars over the difference of the two processes' wall times.
PyTorch side (the same thread count): Embedding -> nn.LSTM(2 layers) -> Linear with V the
model's vocabulary, random weights; step by step with (h, c) carried under inference_mode,
torch.multinomial on softmax(logits) with a seeded generator; with oneDNN as shipped and with
torch.backends.mkldnn.flags(enabled=False). Its fastest loop is the reference. A PyTorch path
slower than --chars in RUN_SECONDS samples fewer chars per run.

MODEL is a checkpoint made by `seqlab train --steps 3` (hidden 256, 2 layers, char level, the
embedded corpus) unless --model names one. Rounds alternate seqlab and PyTorch processes; each
process reports medians over --repeats runs, the table the medians over rounds, wall-clock
chars/s and (beside it) chars per CPU-second of the process, which a loaded machine disturbs less.

    uv run python benchmarks/generate.py --peer-python /work/peers/bin/python --threads 1,2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import (
    add_peer_python,
    emit_result,
    library_info,
    load_averages,
    median,
    print_machine_report,
    run_json_worker,
    wall_and_cpu,
    worker_environment,
)

HIDDEN, LAYERS = 256, 2
PROMPT = "The "
RUN_SECONDS = 5.0


def timed(function) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    return wall_and_cpu(function)[:2]


def medians(samples: list[tuple[float, float]], chars: int) -> dict:
    return {"wall": chars / median(s[0] for s in samples),
            "cpu": chars / median(s[1] for s in samples)}


@contextlib.contextmanager
def stdout_to_devnull():
    saved = sys.stdout
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sys.stdout = sink
        try:
            yield
        finally:
            sys.stdout = saved


# ---------------------------------------------------------------- seqlab side
def seqlab_worker(model_path: str, chars: int, repeats: int) -> dict:
    from seqlab.cli.app import main as seqlab_main
    from seqlab.cli.models import load_any
    from seqlab.nlp.generation import SamplingOptions, sample

    def command(length: int, seed: int) -> None:
        with stdout_to_devnull():
            seqlab_main(["generate", model_path, "--length", str(length), "--seed", str(seed),
                         "--prompt", PROMPT])

    command(20, 0)  # warm-up: imports, kernels loaded from the cache
    rows: list[tuple[float, float]] = []
    for seed in range(repeats):
        short = timed(lambda seed=seed: command(1, seed))
        long = timed(lambda seed=seed: command(chars + 1, seed))
        rows.append((long[0] - short[0], long[1] - short[1]))
    results = {"seqlab command": medians(rows, chars)}

    _, loaded = load_any(Path(model_path))
    model, tokenizer = loaded.model, loaded.tokenizer
    prompt = tokenizer.encode(PROMPT)
    list(sample(model, prompt, SamplingOptions(max_tokens=20, seed=0)))
    runs = [timed(lambda seed=seed: list(sample(model, prompt,
                                                SamplingOptions(max_tokens=chars, seed=seed))))
            for seed in range(repeats)]
    results["seqlab library"] = medians(runs, chars)
    return {"rates": results, "library": library_info("seqlab"), "vocab": model.vocab_size}


def process_rate(model_path: str, chars: int, threads: int, repeats: int) -> dict:
    """The command as separate processes: (chars) over the wall-time difference."""
    from charlm_train import worker_environment

    def run(length: int) -> float:
        command = [sys.executable, "-m", "seqlab.cli", "generate", model_path, "--length",
                   str(length), "--seed", "1", "--prompt", PROMPT]
        start = time.perf_counter()
        subprocess.run(command, env=worker_environment(threads), stdout=subprocess.DEVNULL,
                       check=True)
        return time.perf_counter() - start

    run(1)
    pairs = [(run(chars + 1), run(1)) for _ in range(repeats)]
    return {"wall": chars / statistics.median(long - short for long, short in pairs),
            "cpu": float("nan")}


# ---------------------------------------------------------------- PyTorch side
def torch_worker(vocab: int, chars: int, repeats: int) -> dict:
    import torch

    torch.manual_seed(0)
    embedding = torch.nn.Embedding(vocab, HIDDEN)
    lstm = torch.nn.LSTM(HIDDEN, HIDDEN, LAYERS)
    head = torch.nn.Linear(HIDDEN, vocab)
    prompt = torch.arange(len(PROMPT)).reshape(-1, 1) % vocab

    def sample(count: int, seed: int) -> list[int]:
        generator = torch.Generator().manual_seed(seed)
        tokens = []
        with torch.inference_mode():
            out, state = lstm(embedding(prompt))
            logits = head(out[-1])
            for _ in range(count):
                token = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
                tokens.append(int(token))
                out, state = lstm(embedding(token), state)
                logits = head(out[0])
        return tokens

    def rate() -> dict:
        # a path that collapses (oneDNN's threads on a loaded machine: tens of chars/s) is
        # timed on fewer chars, about RUN_SECONDS a run, not for many minutes
        warm_up = timed(lambda: sample(50, 0))[0]
        count = max(50, min(chars, int(RUN_SECONDS * 50 / warm_up)))
        return medians([timed(lambda seed=seed: sample(count, seed)) for seed in range(repeats)],
                       count)

    results = {"torch default": rate()}
    with torch.backends.mkldnn.flags(enabled=False):
        results["torch no-oneDNN"] = rate()
    return {"rates": results, "library": library_info("torch")}


# ---------------------------------------------------------------- driver
def spawn_worker(python: str, side: str, threads: int, args: argparse.Namespace,
                 vocab: int) -> dict:
    """This file as a worker under `python` with OMP_NUM_THREADS=threads; its JSON result."""
    command = [python, __file__, "--worker", side, "--model", args.model, "--vocab", str(vocab),
               "--chars", str(args.chars), "--repeats", str(args.repeats)]
    return run_json_worker(command, worker_environment(threads), f"{side} worker")


def make_model(folder: str) -> str:
    path = str(Path(folder) / "char-lstm-2x256.safetensors")
    subprocess.run([sys.executable, "-m", "seqlab.cli", "train", "--steps", "3", "--hidden",
                    str(HIDDEN), "--layers", str(LAYERS), "--out", path, "--quiet"], check=True)
    return path


def load_average() -> str:
    return f"load average {load_averages()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_peer_python(parser)
    parser.add_argument("--model", help="a char-level checkpoint (default: train one)")
    parser.add_argument("--chars", type=int, default=3000, help="characters sampled per run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per process")
    parser.add_argument("--threads", default="1", help="comma-separated OMP_NUM_THREADS values")
    parser.add_argument("--rounds", type=int, default=3, help="alternating seqlab/torch rounds")
    parser.add_argument("--process", action="store_true",
                        help="also time the command as separate processes")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--vocab", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "seqlab":
        emit_result(seqlab_worker(args.model, args.chars, args.repeats))
        return
    if args.worker == "torch":
        emit_result(torch_worker(args.vocab, args.chars, args.repeats))
        return
    with tempfile.TemporaryDirectory() as folder:
        args.model = args.model or make_model(folder)
        run_rounds(args)


def run_rounds(args: argparse.Namespace) -> None:
    print_machine_report()
    print(f"batch-1 sampling, {LAYERS}x{HIDDEN} char LSTM ({args.model}), {args.chars} chars a "
          f"run, median of {args.repeats} runs per process, {args.rounds} alternating rounds")
    everything = {}
    for threads in (int(t) for t in args.threads.split(",")):
        print(f"\n== OMP_NUM_THREADS={threads}  ({load_average()} before)")
        rounds: dict[str, list[dict]] = {}
        vocab = 0
        for _ in range(args.rounds):
            ours = spawn_worker(sys.executable, "seqlab", threads, args, 0)
            vocab = ours["vocab"]
            for name, rate in ours["rates"].items():
                rounds.setdefault(name, []).append(rate)
            if args.process:
                rounds.setdefault("seqlab process", []).append(
                    process_rate(args.model, args.chars, threads, 3))
            if args.peer_python:
                peer = spawn_worker(args.peer_python, "torch", threads, args, vocab)
                for name, rate in peer["rates"].items():
                    rounds.setdefault(name, []).append(rate)
        print(f"  seqlab: {ours['library']}")
        if args.peer_python:
            print(f"  torch: {peer['library']}")
        table = {name: {kind: median(r[kind] for r in rates) for kind in ("wall", "cpu")}
                 for name, rates in rounds.items()}
        torch_best = max((table[n]["wall"] for n in table if n.startswith("torch")), default=None)
        torch_best_cpu = max((table[n]["cpu"] for n in table if n.startswith("torch")),
                             default=None)
        print(f"  {'':<16} {'chars/s':>9} {'vs torch':>9} {'chars/CPU-s':>12} {'vs torch':>9}")
        for name, rate in table.items():
            versus = f"{rate['wall'] / torch_best:8.2f}x" if torch_best else ""
            versus_cpu = f"{rate['cpu'] / torch_best_cpu:8.2f}x" if torch_best_cpu else ""
            print(f"  {name:<16} {rate['wall']:>9,.0f} {versus:>9} {rate['cpu']:>12,.0f} "
                  f"{versus_cpu:>9}")
        print(f"  ({load_average()} after)", flush=True)
        everything[threads] = table
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
