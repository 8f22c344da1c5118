"""Peak memory and CPU of `seq2seq eval`'s grouping of pairs by source alone (no model, no
translation), this tree against a baseline checkout, alternating (issue 16).

`seq2seq_eval_memory.py` runs the whole command, whose CPU is translation (~150 us a source
for its tiny model, minutes at millions of pairs on a loaded machine); this one runs what
the command does with the pairs file: `grouped_pair_files`, every group's source and
references read back in order, and prints a SHA-256 of what was read (sources, references,
strays, in order), which must be the same in both trees. The pairs file is
`seq2seq_eval_memory.py`'s (each source --repeats times, scattered):

    uv run python benchmarks/seq2seq_grouping_memory.py --baseline /tmp/base-evalidx \\
        --megabytes 120

Prints one JSON line per run: tree, wall s, user+sys s, peak RSS MB, groups, digest.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import SOURCE_DIRS, cpu_model, load_average, measure
from seq2seq_eval_memory import make_pairs

ROOT = Path(__file__).resolve().parents[1]
WORKER = r"""
import hashlib, json, sys
from seqlab.seqmodels.seq2seq.source_groups import grouped_pair_files
digest, groups = hashlib.sha256(), 0
with grouped_pair_files([sys.argv[1]]) as found:
    for group, source in enumerate(found.sources()):
        digest.update(source.encode() + b"\0")
        for reference in found.references(group):
            digest.update(reference.encode() + b"\1")
        groups += 1
    for source, references in found.strays():
        digest.update(source.encode() + b"\2" + "\1".join(references).encode())
print(json.dumps({"groups": groups, "digest": digest.hexdigest()[:16]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/seq2seq-eval-memory"))
    parser.add_argument("--megabytes", type=float, default=120)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    print_machine_report(isolated=True)
    pairs = make_pairs(options.workdir, options.megabytes, options.repeats)
    with open(pairs, "rb") as file:
        lines = sum(1 for _ in file)
    print(json.dumps({"cpu": cpu_model(), "tsv_mb": pairs.stat().st_size / 1e6, "pairs": lines,
                      "repeats": options.repeats}), flush=True)
    digests = {}
    for _ in range(options.rounds):
        for name, tree in (("baseline", options.baseline), ("this", ROOT)):
            env = dict(os.environ,
                       PYTHONPATH=os.pathsep.join(str(tree / d) for d in SOURCE_DIRS))
            cpu_before = os.times()
            result = measure([sys.executable, "-c", WORKER, str(pairs)], env)
            cpu_after = os.times()
            cpu = (cpu_after.children_user - cpu_before.children_user
                   + cpu_after.children_system - cpu_before.children_system)
            found = json.loads(result.pop("tail")[0])
            digests[name] = found["digest"]
            print(json.dumps({"tree": name, "load": load_average(), "cpu_s": round(cpu, 2),
                              **result, **found}), flush=True)
    print(json.dumps({"same_groups": digests["baseline"] == digests["this"]}))


if __name__ == "__main__":
    main()
