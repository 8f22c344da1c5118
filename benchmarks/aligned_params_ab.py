"""Parameters on a 64-byte line (`seqlab.autograd.aligned`) against malloc's placement.

placed: in one process per thread count, every parameter and optimizer-state array is put 0
(aligned: on), 16 or 48 bytes (off) past a 64-byte line through Tensor's own `data` slot (past
Parameter's setter, as malloc placed them before), the offsets alternating over rounds; CPU
and wall us a call. fresh: `--processes` fresh processes per tree, alternating (this tree,
`--baseline-src`'s, PyTorch), each timing the configuration wherever its own tree put the
weights: the per-process lottery's spread against none.

    uv run python benchmarks/aligned_params_ab.py --configs infer-b1,lstm-128x1 \
        --threads 1,2 --baseline-src /tmp/base-aligned
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report
from cell_loops_ab import SRC_DIRS
from charlm_train import DEFAULT_CORPUS, load_corpus
from composed_train import SeqlabRunner, TorchRunner, batches_for, describe, machine_info
from tree_ab import load_averages
from weight_placement import placed

OFFSETS = (0, 16, 48)


def _timed_calls(runner, inputs, calls: int) -> tuple[list[float], list[float]]:
    cpu, wall = [], []
    for call in range(calls):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        runner.step(*inputs[call % len(inputs)])
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return cpu, wall


def _place(runner: SeqlabRunner, originals: dict, offset: int) -> None:
    """Every parameter's data and optimizer-state array at `offset` bytes past a line."""
    from seqlab.autograd import Tensor

    for name, parameter in runner.model.named_parameters():
        Tensor.data.__set__(parameter, placed(originals[name], offset))  # (past the setter)
    for state in runner.optimizer.state.values():
        for key, value in state.items():
            if isinstance(value, np.ndarray) and value.ndim:
                state[key] = placed(value, offset)


def _medians(cpu: list[float], wall: list[float]) -> dict:
    return {"cpu": statistics.median(cpu) * 1e6, "wall": statistics.median(wall) * 1e6}


def worker(args: argparse.Namespace) -> dict:
    chars, vocabulary = load_corpus(Path(args.corpus))
    spec = describe(args.config)
    vocab = spec["vocab"] or len(vocabulary)
    batches = batches_for(spec, chars)
    inputs = [next(batches) for _ in range(4)]
    if args.worker == "torch":
        runner = TorchRunner(spec, vocab)
        runner.step(*inputs[0])
        return _medians(*_timed_calls(runner, inputs, args.calls * args.rounds))
    runner = SeqlabRunner(spec, vocab)
    runner.step(*inputs[0])  # (compiles; makes the optimizer's state)
    w_hh = runner.model.stack.weight_hh_l0.data
    if args.worker == "fresh":
        result = _medians(*_timed_calls(runner, inputs, args.calls * args.rounds))
        return {**result, "w_hh_offset": w_hh.ctypes.data % 64}
    originals = {name: p.data.copy() for name, p in runner.model.named_parameters()}
    times = {offset: ([], []) for offset in OFFSETS}
    for round_ in range(args.rounds):
        for offset in OFFSETS if round_ % 2 == 0 else OFFSETS[::-1]:
            _place(runner, originals, offset)
            runner.step(*inputs[0])  # (kept tables and panels follow the new arrays)
            cpu, wall = _timed_calls(runner, inputs, args.calls)
            times[offset][0].extend(cpu)
            times[offset][1].extend(wall)
    return {str(offset): _medians(*values) for offset, values in times.items()}


def spawn(mode: str, tree: Path | None, config: str, threads: int,
          args: argparse.Namespace) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
                          "PYTHONPATH")}
    env["OMP_NUM_THREADS"] = str(threads)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(tree / d) for d in SRC_DIRS)
    python = args.torch_python if mode == "torch" else sys.executable
    if mode == "torch":
        env["PYTHONPATH"] = str(Path(__file__).parent)
    command = [python, __file__, "--worker", mode, "--config", config, "--rounds",
               str(args.rounds), "--calls", str(args.calls), "--corpus", args.corpus]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"worker failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} (min {min(values):.0f}, max {max(values):.0f})"


def setter_cost(rounds: int = 5) -> str:
    """What a `Parameter.data` read costs against a plain Tensor's, in this process (the check
    that keeps a parameter on a line is in `Parameter.__setattr__`, so a read is the same slot
    read; `benchmarks/parameter_data_read.py` compares trees), ns a read."""
    import timeit

    from seqlab.autograd import Tensor
    from seqlab.autograd.nn import Linear

    layer = Linear(16, 16)
    plain = Tensor(np.ones((16, 16), np.float32))
    reads: dict[str, list[float]] = {"parameter": [], "tensor": []}
    for _ in range(rounds):
        for kind, tensor in (("parameter", layer.weight), ("tensor", plain)):
            reads[kind].append(min(timeit.repeat(lambda t=tensor: t.data, number=20000,
                                                 repeat=3)) / 20000 * 1e9)
    read = {kind: statistics.median(values) for kind, values in reads.items()}
    return (f"Parameter.data read {read['parameter']:.0f} ns vs a Tensor's "
            f"{read['tensor']:.0f} ns")


def _ratio(runs: dict[str, list[dict]], side: str, clock: str) -> float:
    """side's median over its processes against this tree's."""
    return (statistics.median(r[clock] for r in runs[side])
            / statistics.median(r[clock] for r in runs["new"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="infer-b1,lstm-128x1")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--baseline-src", type=Path, help="another tree (git archive)")
    parser.add_argument("--processes", type=int, default=3, help="fresh processes per tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=10, help="timed calls per offset a round")
    parser.add_argument("--torch-python", default="/work/peers/bin/python")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--worker", choices=("placed", "fresh", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    print_machine_report(isolated=True)
    machine = machine_info()
    print(f"CPU: {machine['cpu']}; ISA: {machine['isa']}; load {load_averages()}", flush=True)
    print(f"setter cost, 1 thread: {setter_cost()}  [load {load_averages()}]", flush=True)
    for config in args.configs.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            result = spawn("placed", None, config, threads, args)
            on = result["0"]["cpu"]
            offs = "  ".join(f"{offset} B: {r['cpu']:.0f} / {r['wall']:.0f} ({r['cpu'] / on:.3f}x)"
                             for offset, r in ((o, result[str(o)]) for o in OFFSETS))
            print(f"{config} OMP_NUM_THREADS={threads} placed, CPU / wall us a call: {offs}"
                  f"  [load {load_averages()}]", flush=True)
            sides = {"new": None, **({"old": args.baseline_src} if args.baseline_src else {}),
                     "torch": None}
            runs: dict[str, list[dict]] = {side: [] for side in sides}
            for process in range(args.processes):
                order = list(sides.items())
                for side, tree in order if process % 2 == 0 else order[::-1]:
                    mode = "torch" if side == "torch" else "fresh"
                    runs[side].append(spawn(mode, tree, config, threads, args))
            for side, results in runs.items():
                offsets = [r["w_hh_offset"] for r in results] if side != "torch" else []
                print(f"    fresh {side}: CPU us {_spread([r['cpu'] for r in results])}, wall "
                      f"{_spread([r['wall'] for r in results])}"
                      + (f", W_hh {offsets} B past a line" if offsets else ""), flush=True)
            ratios = "  ".join(f"{side}/new CPU {_ratio(runs, side, 'cpu'):.3f} "
                               f"wall {_ratio(runs, side, 'wall'):.3f}"
                               for side in sides if side != "new")
            print(f"    ratios of medians: {ratios}  [load {load_averages()}]", flush=True)


if __name__ == "__main__":
    main()
