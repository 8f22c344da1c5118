"""CPU seconds of `seq2seq train`'s data preparation, phase by phase, for one source tree:
the source vocabulary pass, the target vocabulary pass and the id pass (into a fresh id cache
under /tmp), in process, as `run_seq2seq_training` runs them (word level, 3000 words):

    uv run python benchmarks/seq2seq_prep_phases.py /tmp/base-streams pairs-200mb.tsv
    uv run python benchmarks/seq2seq_prep_phases.py . pairs-200mb.tsv

The first argument is a source tree (its packages go first on sys.path); make the TSV as
`benchmarks/labelled_memory.py` makes its pairs file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_common import print_machine_report


def main() -> None:
    root, pairs = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    print_machine_report(isolated=True)
    sys.path[:0] = [str(root / "packages" / name / "src")
                    for name in ("autograd", "seqmodels", "nlp")] + [str(root / "apps/cli/src")]
    from seqlab.cli.seq2seq_training import PairFiles, _encode_files, build_tokenizer

    files = PairFiles([pairs], 1000, 0.001)
    timings = {}
    start = time.process_time()
    source = build_tokenizer("word", (s for s, _ in files.train()), 3000)
    timings["source vocabulary"] = time.process_time() - start
    start = time.process_time()
    target = build_tokenizer("word", (t for _, t in files.train()), 3000)
    timings["target vocabulary"] = time.process_time() - start
    scratch = Path(tempfile.mkdtemp())
    try:
        start = time.process_time()
        _encode_files(files, (source, target), scratch / "m.safetensors")
        timings["ids"] = time.process_time() - start
    finally:
        shutil.rmtree(scratch)
    print(root, {name: round(seconds, 2) for name, seconds in timings.items()},
          "total", round(sum(timings.values()), 2))


if __name__ == "__main__":
    main()
