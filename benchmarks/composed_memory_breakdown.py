"""Where a composed training worker's resident memory is at its peak, mapping by mapping.

Runs `composed_train.py`'s seqlab (or, under the peer interpreter, PyTorch) worker for one
configuration in this process, with `memory_breakdown.py`'s sampler: at each new high of the
resident set it reads `/proc/self/smaps` and groups the resident pages by mapping (a shared
library by file name, anonymous memory: malloc's arenas, NumPy's arrays, thread stacks). At exit
it prints the groups at the peak and the timeline. OMP_NUM_THREADS comes from the environment.
`--release-llvm-pages` opts the seqlab worker into the policy seqlab's commands take (a library
user's explicit call; importing seqlab never does it).

    OMP_NUM_THREADS=1 uv run python benchmarks/composed_memory_breakdown.py --config word-lm
    OMP_NUM_THREADS=1 /work/peers/bin/python benchmarks/composed_memory_breakdown.py \\
        --side torch --config word-lm
"""

from __future__ import annotations

import argparse
import atexit
import json

from bench_common import print_machine_report
from composed_train import DEFAULT_CORPUS, run_worker
from memory_breakdown import Sampler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="one composed_train configuration")
    parser.add_argument("--side", choices=["seqlab", "torch"], default="seqlab")
    parser.add_argument("--steps", type=int, default=2, help="timed steps")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="tinyshakespeare.txt")
    parser.add_argument("--every", type=float, default=0.01, help="seconds between samples")
    parser.add_argument("--release-llvm-pages", action="store_true",
                        help="seqlab: give LLVM's clean pages back after each compile or cache "
                             "load (`llvm_pages.release_after_compiles`, the commands' policy)")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    if args.release_llvm_pages and args.side == "seqlab":
        from seqlab.autograd.llvm_pages import release_after_compiles

        release_after_compiles()
    sampler = Sampler(args.every)
    sampler.start()
    atexit.register(sampler.report)
    worker_args = argparse.Namespace(configs=args.config, steps=args.steps, warmup=args.warmup,
                                     corpus=args.corpus)
    print(json.dumps(run_worker(args.side, worker_args)))


if __name__ == "__main__":
    main()
