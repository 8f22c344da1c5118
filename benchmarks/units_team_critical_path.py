"""A small-batch no-grad stack's unit team, timed without its partner, beside the one-thread path.

`recurrent_units_team` runs a stack below the panels' batch as 2+ parts that meet every
layer-step. On a loaded machine a team's wall time says little (its parts take turns on one
core), so this times what the team's work costs without the team: `run_team` is replaced by
part 0 alone with its partners' meet counters set past every meet (no waits, no pool
hand-over, no late start), and its CPU time is the team's critical path less the team's fixed
cost. Beside it, alternating in one process, the one-thread path (`threads.one_thread`: what a
1-thread call runs). A team pays where "saved" is more than its fixed cost (start and join,
the partner's late start, a meet every layer-step; see BENCHMARKS.md, issue 11, b1two):

    uv run python benchmarks/units_team_critical_path.py lstm:40:128:1:1 gru:40:256:1:1

A stack is cell:features:hidden:layers:batch (64 steps, float32); cell `lstm-emb` (`gru-emb`,
`rnn-emb`) reads an Embedding(features, hidden) of random ids instead (features: the
vocabulary), so layer 0 reads its kept input table, as a char LM's batch-1 call does. CPU
time is this thread's alone: read it, not wall, under load. Only seqlab runs (the one-thread
path is the peer).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from composed_train import library_info, machine_info


def _part_zero_alone(parts, run_part):
    """`run_team`'s stand-in: part 0 of `parts`, every partner's meets already passed."""
    from seqlab.autograd.kernels.spin_barrier import FLAG_STRIDE, new_flags

    flags = new_flags(parts)
    for part in range(1, parts):
        flags[part * FLAG_STRIDE] = 1 << 60
    run_part(0, parts, flags)
    return 0, 0


def time_stack(spec: str, calls: int, steps: int) -> tuple[float, float, int]:
    """(part 0 alone, one thread) CPU us medians of `calls` alternating calls, and the
    multiply-adds a layer-step (mean over the layers, times the batch)."""
    from seqlab.autograd import Tensor, nn, no_grad
    from seqlab.autograd.threads import one_thread
    from seqlab.seqmodels import GRU, LSTM, RNN

    cell, features, hidden, layers, batch = spec.split(":")
    features, hidden, layers, batch = int(features), int(hidden), int(layers), int(batch)
    cell, _, fed = cell.partition("-")
    rng = np.random.default_rng(0)
    if fed == "emb":  # layer 0 reads the embedding's kept table: no input product a step
        embedding = nn.Embedding(features, hidden)
        stack = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[cell](hidden, hidden, layers)
        ids = rng.integers(0, features, (steps, batch))

        def inputs() -> Tensor:
            return embedding(ids)
    else:
        stack = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[cell](features, hidden, layers)
        x = Tensor(rng.standard_normal((steps, batch, features)).astype(np.float32))

        def inputs() -> Tensor:
            return x
    times: dict[str, list[float]] = {"team": [], "one": []}
    with no_grad():
        for _ in range(calls):
            for name, seconds in times.items():
                start = time.process_time()
                if name == "one":
                    with one_thread():
                        stack(inputs())
                else:
                    stack(inputs())
                seconds.append(time.process_time() - start)
    widths = [0 if fed == "emb" else features] + [hidden] * (layers - 1)
    macs = batch * sum((width + hidden) * stack.kind.gates * hidden for width in widths)
    team, one = (statistics.median(sorted(seconds)[2:]) * 1e6 for seconds in times.values())
    return team, one, macs // layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stacks", nargs="+", help="cell:features:hidden:layers:batch")
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--steps", type=int, default=64)
    args = parser.parse_args()

    import seqlab.seqmodels.recurrent_units_team as units_team
    from seqlab.autograd.threads import set_num_threads

    set_num_threads(2)  # (a team of 2 is asked for; only part 0 runs)
    units_team.run_team = _part_zero_alone
    units_team.MIN_TEAM_LAYER_STEP_MACS = 0  # the team wherever `units_team_parts` gives one
    info = machine_info()
    print(f"CPU: {info['cpu']}; ISA: {info['isa']}; {library_info('seqlab')}")
    print(f"{'stack':20s} {'MACs/layer-step':>15s} {'part 0 alone':>12s} {'one thread':>10s}"
          f" {'saved':>7s}  (CPU us, medians of {args.calls}, {args.steps} steps)")
    for spec in args.stacks:
        team, one, macs = time_stack(spec, args.calls, args.steps)
        print(f"{spec:20s} {macs:15,d} {team:12.0f} {one:10.0f} {one - team:7.0f}", flush=True)


if __name__ == "__main__":
    main()
