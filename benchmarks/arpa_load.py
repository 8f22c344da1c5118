"""Loading an ARPA file: `seqlab.nlp.ngram.load_arpa` vs `kenlm.Model`, time and peak RSS.

Each loader runs in a process of its own under `/usr/bin/time -v` (peak RSS is the process's
largest resident set: the interpreter and libraries included), and prints its own load time
(the import of NumPy / Numba / kenlm not counted). seqlab's line also gives the bytes of the
model's arrays (int64 keys, float64 log probabilities and backoffs), the floor any loader
that keeps them must reach. Write the file with `seqlab ngram train --order 5 --out x.arpa`.

    uv run python benchmarks/arpa_load.py /tmp/h24-25mb.o5.arpa \\
        --peer-python /work/peers/bin/python

The machine may be shared: the load average before each run is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import print_machine_report

SEQLAB = """
import sys, time
from seqlab.nlp.ngram import load_arpa
started = time.perf_counter()
model = load_arpa(sys.argv[1])
seconds = time.perf_counter() - started
keys, logprob, logbackoff, _ = model._flat
size = keys.nbytes + logprob.nbytes + logbackoff.nbytes
print(f"load {seconds:.1f} s, {sum(model.counts):,} n-grams, model arrays {size / 1e6:.0f} MB")
"""

KENLM = """
import sys, time
import kenlm
started = time.perf_counter()
model = kenlm.Model(sys.argv[1])
print(f"load {time.perf_counter() - started:.1f} s, order {model.order}")
"""


def run(python: str, script: str, path: Path) -> str:
    """The script's line and its peak RSS, from /usr/bin/time -v."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        done = subprocess.run(["/usr/bin/time", "-v", "-o", report.name, python, "-c", script,
                               str(path)], capture_output=True, text=True, check=True)
        text = Path(report.name).read_text()
    kilobytes = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return f"{done.stdout.strip()}; peak RSS {kilobytes / 1e6:.2f} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("arpa", type=Path)
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"),
                        help="a python with the kenlm module (default $SEQLAB_PEER_PYTHON)")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    print(f"{args.arpa}: {args.arpa.stat().st_size / 1e6:.0f} MB")
    seqlab = run(sys.executable, SEQLAB, args.arpa)
    print(f"load average {os.getloadavg()[0]:.1f}; seqlab: {seqlab}")
    if args.peer_python:
        print(f"load average {os.getloadavg()[0]:.1f}; kenlm:  "
              f"{run(args.peer_python, KENLM, args.arpa)}")


if __name__ == "__main__":
    main()
