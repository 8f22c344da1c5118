"""GRU and RNN time loops, their single steps and W_hh packing: this tree against a baseline.

Times, float32, batch 32 x 64 steps, input projection given (the loops alone):
- `gru-H` / `rnn-H`: forward (save) + backward of one layer on one thread
  (`recurrent_gru.gru_forward_into` / `gru_backward_into`, `recurrent_rnn.rnn_forward` /
  `rnn_backward`), over packed panels where `rnn_panels_pay` says so and the tree's loops take
  them; `gru-H-bN`: the same at batch N;
- `gru-H-rows2` / `rnn-H-rows2`: the same as a team of 2 split by sequence
  (`recurrent_rows_teams`);
- `gru-step-H` / `rnn-step-H`: 64 single inference steps at batch 32 (`gru_step`, `rnn_step`);
- `pack-MxK`: `panel_gemm.pack_transposed_into` of a (M, K) float32 matrix, in us per MiB.
Each worker is a fresh process running one source tree (PYTHONPATH set to the tree's four
`src` folders); rounds alternate baseline and this tree. The table gives medians over rounds of
each worker's median CPU time (process_time; a team's 2 threads both count) and wall time,
and new / old ratios (< 1: this tree is faster).

    git archive 94c8416 | tar -x -C /tmp/cells-base
    uv run python benchmarks/cell_loops_ab.py --baseline-src /tmp/cells-base --rounds 5
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

SRC_DIRS = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
            "apps/cli/src")
STEPS, BATCH = 64, 32
DEFAULT_ITEMS = ("gru-128,gru-256,gru-512,rnn-128,rnn-256,gru-256-rows2,gru-512-rows2,"
                 "rnn-256-rows2,rnn-512-rows2,gru-step-256,rnn-step-256,pack-768x256,"
                 "pack-1024x256,pack-1536x512")


def timed(run, repeats: int) -> tuple[float, float]:
    """Median (cpu, wall) seconds of `repeats` calls after one warm-up call."""
    run()
    cpu, wall = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return statistics.median(cpu), statistics.median(wall)


def _takes_panels(kernel) -> bool:
    """Whether this tree's loop kernel has the `w_panels` argument (a baseline may not)."""
    return "w_panels" in inspect.signature(getattr(kernel, "py_func", kernel)).parameters


def loop_runner(kind: str, hidden: int, parts: int, batch: int = BATCH):
    """A call running forward + backward of one GRU or RNN layer's loop."""
    from seqlab.autograd.kernels import recurrent_rnn
    from seqlab.autograd.kernels.panel_gemm import panels_shape
    from seqlab.autograd.kernels.recurrent_blas import transposed
    from seqlab.autograd.kernels.recurrent_gru import gru_backward_into, gru_forward_into
    from seqlab.autograd.kernels.recurrent_rnn import rnn_backward, rnn_forward
    from seqlab.seqmodels import recurrent_rows_teams as teams

    # a baseline from before the panel loops has no rule: BLAS or rows_gemm there
    rnn_panels_pay = getattr(recurrent_rnn, "rnn_panels_pay", lambda batch, hidden: False)
    # a tree before the padding rule decides for both products from batch and H alone
    loop_panels_pay = getattr(recurrent_rnn, "loop_panels_pay",
                              lambda batch, hidden, columns, dtype: rnn_panels_pay(batch, hidden))
    rng = np.random.default_rng(0)
    gates = 3 if kind == "gru" else 1
    xg = rng.standard_normal((STEPS, batch, gates * hidden)).astype(np.float32)
    h0 = rng.standard_normal((batch, hidden)).astype(np.float32) * 0.5
    w_hh = (rng.standard_normal((gates * hidden, hidden)) / np.sqrt(hidden)).astype(np.float32)
    b_hh = rng.standard_normal(gates * hidden).astype(np.float32) * 0.1
    lengths = np.full(batch, STEPS, np.int64)
    d_out = rng.standard_normal((STEPS, batch, hidden)).astype(np.float32)
    d_hn = rng.standard_normal((batch, hidden)).astype(np.float32)
    if parts > 1 and kind == "gru":
        def run():
            *_, saved = teams.gru_rows_forward(xg, h0, w_hh, b_hh, lengths, False, None, parts)
            teams.gru_rows_backward(saved, w_hh, lengths, False, None, 0, d_out, d_hn, parts)
    elif parts > 1:
        def run():
            *_, saved = teams.rnn_rows_forward(xg, h0, w_hh, lengths, False, None, False, parts)
            teams.rnn_rows_backward(saved, w_hh, lengths, False, None, 0, d_out, d_hn, False,
                                    parts)
    elif kind == "gru":
        w_t = transposed(w_hh)
        out, hidden_n, h_prev = (np.empty((STEPS, batch, hidden), np.float32) for _ in range(3))
        saved_gates, d_xg, d_hg = (np.empty((STEPS, batch, 3 * hidden), np.float32)
                                   for _ in range(3))
        rooms = ()
        if _takes_panels(gru_forward_into):
            rooms = tuple(np.empty(panels_shape(depth, columns, np.float32) if loop_panels_pay(
                batch, hidden, columns, np.float32) else (0, 1, 1), np.float32)
                          for depth, columns in ((hidden, 3 * hidden), (3 * hidden, hidden)))

        def run():
            gru_forward_into(xg, h0, w_t, b_hh, lengths, False, True, out, saved_gates,
                             hidden_n, h_prev, *rooms[:1])
            gru_backward_into(saved_gates, hidden_n, h_prev, w_hh, lengths, False, d_out, d_hn,
                              d_xg, d_hg, *rooms[1:])
    else:
        w_t = transposed(w_hh)
        panels = (np.empty(panels_shape(hidden, hidden, np.float32) if loop_panels_pay(
            batch, hidden, hidden, np.float32) else (0, 1, 1), np.float32),) if _takes_panels(
            rnn_forward) else ()

        def run():
            out, _, _ = rnn_forward(xg, h0, w_t, lengths, False, False, *panels)
            rnn_backward(out, w_hh, lengths, False, False, d_out, d_hn, *panels)
    return run


def step_runner(kind: str, hidden: int):
    """A call running 64 single inference steps at batch 32."""
    from seqlab.autograd.kernels.recurrent_gru import gru_step
    from seqlab.autograd.kernels.recurrent_rnn import rnn_step

    rng = np.random.default_rng(0)
    gates = 3 if kind == "gru" else 1
    xg = rng.standard_normal((BATCH, gates * hidden)).astype(np.float32)
    h0 = rng.standard_normal((BATCH, hidden)).astype(np.float32) * 0.5
    w_t = np.ascontiguousarray(
        (rng.standard_normal((gates * hidden, hidden)) / np.sqrt(hidden)).astype(np.float32).T)
    b_hh = rng.standard_normal(gates * hidden).astype(np.float32) * 0.1

    def run():
        h = h0
        for _ in range(STEPS):
            h = gru_step(xg, h, w_t, b_hh) if kind == "gru" else rnn_step(xg, h, w_t, False)
    return run


def pack_runner(rows: int, depth: int):
    """A call packing a (rows, depth) float32 matrix's transpose into panels."""
    from seqlab.autograd.kernels.panel_gemm import pack_transposed_into, panels_shape

    matrix = np.random.default_rng(0).standard_normal((rows, depth)).astype(np.float32)
    panels = np.empty(panels_shape(depth, rows, np.float32), np.float32)
    return lambda: pack_transposed_into(matrix, panels)


def run_worker(items: list[str], repeats: int) -> dict:
    results = {}
    for item in items:
        parts = item.split("-")
        if parts[0] == "pack":
            rows, depth = (int(v) for v in parts[1].split("x"))
            cpu, wall = timed(pack_runner(rows, depth), repeats * 20)
            mib = rows * depth * 4 / 2**20
            results[item] = (cpu / mib, wall / mib)  # seconds per MiB
        elif parts[1] == "step":
            results[item] = timed(step_runner(parts[0], int(parts[2])), repeats)
        else:
            batch = int(parts[2][1:]) if len(parts) > 2 and parts[2][0] == "b" else BATCH
            team = int(parts[2][4:]) if len(parts) > 2 and parts[2][0] == "r" else 1
            results[item] = timed(loop_runner(parts[0], int(parts[1]), team, batch), repeats)
    return results


def spawn(tree: Path, items: str, repeats: int) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(tree / d) for d in SRC_DIRS)
    env["OMP_NUM_THREADS"] = "1"  # BLAS on one thread; a `-rows2` team runs its own 2
    command = [sys.executable, __file__, "--worker", "--items", items, "--repeats", str(repeats)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker on {tree} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, help="a source tree to compare against")
    parser.add_argument("--items", default=DEFAULT_ITEMS, help="comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="alternating old/new rounds")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per worker")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    items = args.items.split(",")
    if args.worker:
        print(json.dumps(run_worker(items, args.repeats)))
        return
    print_machine_report(isolated=True)
    if args.baseline_src is None or not (args.baseline_src / SRC_DIRS[0]).is_dir():
        raise SystemExit("pass --baseline-src DIR: a source tree (git archive <commit> | tar -x)")
    here = Path(__file__).resolve().parent.parent
    rounds = {"old": [], "new": []}
    for _ in range(args.rounds):
        rounds["old"].append(spawn(args.baseline_src, args.items, args.repeats))
        rounds["new"].append(spawn(here, args.items, args.repeats))
    print(f"{args.rounds} alternating round(s), {args.repeats} timed calls a worker; "
          "loops and steps in ms, pack in us per MiB; ratio = new / old")
    print(f"{'item':<16} {'old cpu':>9} {'new cpu':>9} {'cpu ratio':>9} {'old wall':>9} "
          f"{'new wall':>9} {'wall ratio':>10}")
    for item in items:
        scale = 1e6 if item.startswith("pack") else 1e3
        old_cpu, new_cpu, old_wall, new_wall = (
            statistics.median(r[item][clock] for r in rounds[side]) * scale
            for clock, side in ((0, "old"), (0, "new"), (1, "old"), (1, "new")))
        print(f"{item:<16} {old_cpu:>9.2f} {new_cpu:>9.2f} {new_cpu / old_cpu:>8.3f}x "
              f"{old_wall:>9.2f} {new_wall:>9.2f} {new_wall / old_wall:>9.3f}x", flush=True)


if __name__ == "__main__":
    main()
