"""Why PyTorch's training rate differs between processes: per-process evidence, side by side.

PyTorch's `LanguageModel`-shaped LSTM (Embedding -> LSTM -> Linear, cross-entropy, clip, Adam;
`composed_train.TorchRunner`, the same model the harness times) is run in several fresh worker
processes in turn. Each worker builds the model `--models` times in the same process and times
`--steps` steps of each after `--warmup`; per step it records wall and CPU time (process_time),
the minor page faults the step took (getrusage), and the core it ended on. Per model it records
where the LSTM's weights sit (address mod 4096). So the spread can be read as:

- between processes with every model of a process alike: a property of the process (where the
  allocator and the kernel put its memory, its core);
- between models of one process: where the model's own buffers landed;
- step to step, with the faults: the allocator handing memory back and faulting it in again.

`--malloc-env` runs every second worker with glibc tunables that keep freed memory in the heap
(no mmap for large blocks, no trimming), to test the page-fault explanation directly: the other
workers run with the default allocator, alternating.

    uv run python benchmarks/torch_rate_modes.py --peer-python /work/peers/bin/python \
        --threads 1 --processes 8 --malloc-env
    uv run python benchmarks/torch_rate_modes.py --peer-python /work/peers/bin/python \
        --threads 1 --processes 8 --seqlab

PyTorch runs under the peer interpreter (nothing of seqlab imported there); `--seqlab` runs a
seqlab worker (`composed_train.SeqlabRunner`, the default allocator) after each PyTorch one, so
seqlab's step can be read against PyTorch's faulting and non-faulting models of the same run.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

# glibc: large blocks from the heap (never mmap), freed memory never trimmed back to the kernel
# a step faulting in more than this many pages (8 MiB) counts as the allocator's "slow mode"
FAULTING_STEP = 2000
KEEP_HEAP_TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296"


def current_core() -> int:
    """The core this process last ran on (/proc/self/stat field 39)."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[36])


def run_worker(args: argparse.Namespace) -> dict:
    """Build and time `--models` models of one side in this process: per step CPU, faults."""
    sys.path.insert(0, str(Path(__file__).parent))
    from charlm_train import load_corpus
    from composed_train import batches_for, describe

    if args.side == "torch":
        from composed_train import TorchRunner as Runner
    else:
        from composed_train import SeqlabRunner as Runner
    chars, vocabulary = load_corpus(Path(args.corpus))
    spec = describe(args.config)
    models = []
    for _ in range(args.models):
        runner = Runner(spec, spec["vocab"] or len(vocabulary))
        batches = batches_for(spec, chars)
        for _ in range(args.warmup):
            runner.step(*next(batches))
        steps = []
        for _ in range(args.steps):
            batch = next(batches)
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start, cpu_start = time.perf_counter(), time.process_time()
            runner.step(*batch)
            steps.append({"wall_ms": 1e3 * (time.perf_counter() - start),
                          "cpu_ms": 1e3 * (time.process_time() - cpu_start),
                          "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
                          "core": current_core()})
        if args.side == "torch":
            offsets = sorted({p.data_ptr() % 4096 for p in runner.stack.parameters()})
        else:
            offsets = sorted({p.data.ctypes.data % 4096 for p in runner.parameters})
        models.append({"steps": steps, "weight_offsets_4k": offsets})
        del runner
    return {"models": models}


def spawn(args: argparse.Namespace, keep_heap: bool, side: str = "torch") -> dict:
    """This file as a worker for `side` (PyTorch under the peer python); its JSON result."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GLIBC_TUNABLES")}
    env["OMP_NUM_THREADS"] = str(args.threads)
    if keep_heap:
        env["GLIBC_TUNABLES"] = KEEP_HEAP_TUNABLES
    python = args.peer_python if side == "torch" else sys.executable
    command = [python, __file__, "--worker", "--side", side, "--config", args.config, "--models",
               str(args.models), "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--corpus", args.corpus]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--config", default="lm-lstm-256x2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--models", type=int, default=2, help="models built in turn per process")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--malloc-env", action="store_true",
                        help="every second process keeps freed memory in the heap (GLIBC_TUNABLES)")
    parser.add_argument("--corpus", help="tinyshakespeare.txt (default: charlm_train's)")
    parser.add_argument("--seqlab", action="store_true",
                        help="a seqlab process after each PyTorch one (default allocator)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=["torch", "seqlab"], default="torch",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args)))
        return
    if not args.peer_python:
        raise SystemExit("pass --peer-python (or set $SEQLAB_PEER_PYTHON): a python with torch")
    if args.corpus is None:
        sys.path.insert(0, str(Path(__file__).parent))
        from charlm_train import DEFAULT_CORPUS

        args.corpus = str(DEFAULT_CORPUS)
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_common import print_machine_report

    print_machine_report()
    print(f"{args.config}, {args.threads} thread(s), {args.processes} processes x {args.models} "
          f"models x {args.steps} steps after {args.warmup}; load {os.getloadavg()}")
    print("proc  side    heap  model  cpu ms (median, min-max)  wall ms  faults/step  cores  "
          "offsets")
    groups: dict[str, list[float]] = collections.defaultdict(list)
    for process in range(args.processes):
        keep_heap = args.malloc_env and process % 2 == 1
        runs = [("torch", keep_heap, spawn(args, keep_heap))]
        if args.seqlab:
            runs.append(("seqlab", False, spawn(args, False, "seqlab")))
        for side, kept, result in runs:
            report(process, side, kept, result, groups)
    for name, values in groups.items():
        print(f"{name}: median over models {statistics.median(values):.1f} ms CPU "
              f"(range {min(values):.1f}-{max(values):.1f}, {len(values)} models)")
    print(f"load at the end {os.getloadavg()}")


def report(process: int, side: str, keep_heap: bool, result: dict,
           groups: dict[str, list[float]]) -> None:
    """One line a model; its step median joins its group (side, allocator, faulting or not)."""
    for index, model in enumerate(result["models"]):
        cpu = [s["cpu_ms"] for s in model["steps"]]
        wall = [s["wall_ms"] for s in model["steps"]]
        faults = statistics.median(s["faults"] for s in model["steps"])
        cores = "".join(str(s["core"]) for s in model["steps"])
        heap = "keep" if keep_heap else "dflt"
        mode = "faulting" if faults > FAULTING_STEP else "no faults"
        groups[f"{side} {heap} {mode}"].append(statistics.median(cpu))
        groups[f"{side} all {heap}"].append(statistics.median(cpu))
        # a long run's rate is its total time: the mean of its steps, faulting ones included
        groups[f"{side} all {heap}, mean of steps"].append(statistics.fmean(cpu))
        print(f"{process:>4}  {side:<6}  {heap}  {index:>5}  "
              f"{statistics.median(cpu):7.1f} ({min(cpu):6.1f}-{max(cpu):6.1f})  "
              f"{statistics.median(wall):7.1f}  {faults:>11.0f}  {cores}  "
              f"{model['weight_offsets_4k']}", flush=True)


if __name__ == "__main__":
    main()
