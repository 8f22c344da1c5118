"""The LSTM backward writing its gate gradients over the saved gates, against into an array of
its own, in one process alternating (a change of 1-2% a step, which process-alternating runs on
a shared machine cannot resolve).

Both paths run the same `LanguageModel` training steps of `charlm_train.py` (batch 32 x 64,
Adam, clip 5); "own array" tells the fused layers the graph is retained
(`seqlab.seqmodels.fused.is_graph_retained`), which is the only thing that selects the path.
Prints the median process CPU time a step of each and their ratio:

    OMP_NUM_THREADS=1 uv run python benchmarks/lstm_backward_in_place.py \\
        --corpus /work/shared/data/tinyshakespeare.txt --sizes 128x1,256x2,512x2 --rounds 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).resolve().parent))

import charlm_train  # the benchmark's model, corpus and batches

STEPS_PER_ROUND = 3


def compare(cell: str, hidden: int, layers: int, rounds: int, corpus: Path) -> None:
    """Alternate rounds of steps on the two paths; print CPU ms a step of each."""
    from seqlab.seqmodels import fused

    tokens, chars = charlm_train.load_corpus(corpus)
    model = charlm_train.SeqlabCharLM(cell, hidden, layers, len(chars))
    batches = charlm_train.stream_batches(tokens)
    in_place = fused.is_graph_retained
    paths = {"in place": in_place, "own array": lambda: True}
    for _ in range(STEPS_PER_ROUND):  # compile and warm both
        model.train_step(*next(batches))
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    try:
        for round_ in range(rounds):
            order = list(paths) if round_ % 2 == 0 else list(reversed(paths))
            for name in order:
                fused.is_graph_retained = paths[name]
                for _ in range(STEPS_PER_ROUND):
                    start = time.process_time()
                    model.train_step(*next(batches))
                    seconds[name].append(time.process_time() - start)
    finally:
        fused.is_graph_retained = in_place
    own, reused = (statistics.median(seconds[name]) * 1e3 for name in ("own array", "in place"))
    print(f"{cell} {hidden}x{layers}, {os.environ.get('OMP_NUM_THREADS', '?')} thread(s), "
          f"load {os.getloadavg()[0]:.1f}: CPU ms a step, own array {own:.2f}, in place "
          f"{reused:.2f}, own / in place {own / reused:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, help="tinyshakespeare.txt")
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--sizes", default="256x2", help="comma-separated HIDDENxLAYERS")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    for hidden, layers in charlm_train.parse_sizes(args.sizes):
        compare(args.cell, hidden, layers, args.rounds, Path(args.corpus))


if __name__ == "__main__":
    main()
