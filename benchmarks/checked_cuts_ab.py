"""What the pattern-checked cut costs: `stream_token_ids` of a tokenizer with its own (GPT-2)
pattern over an LF and a CRLF corpus, this tree against a baseline checkout, each run in its
own process (trees alternating), CPU seconds streamed and read whole (`encode_array` of the
whole text, in the same process), and whether a forced cut was warned; `--patterns default`
also runs the built-in pre-token pattern (whitespace cuts, no check):

    uv run python benchmarks/checked_cuts_ab.py --baseline /tmp/base-streams --megabytes 8

The baseline cuts a custom pattern's text only after a bare "\\n" (free: no tokenizing), and
CRLF text only by force every 64 chunks; this tree checks each cut by tokenizing both sides.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import SOURCE_DIRS, cpu_model, load_average

ROOT = Path(__file__).resolve().parents[1]
GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
WORKER = r"""
import json, logging, sys, time
import numpy as np
from seqlab.nlp.corpora import stream_token_ids
from seqlab.nlp.tokenizers import BPETokenizer
path, pattern = sys.argv[1], sys.argv[2]
logging.basicConfig(level=logging.WARNING)
warned = []
logging.getLogger("seqlab.nlp.corpora.streaming").addFilter(lambda r: warned.append(1) or True)
with open(path, encoding="utf-8") as f:
    sample = f.read(200_000)
options = {} if pattern == "default" else {"pattern": pattern}
tokenizer = BPETokenizer.train(sample, vocab_size=500, **options)
start = time.process_time()
ids = sum(block.size for block in stream_token_ids(path, tokenizer))
streamed = time.process_time() - start
import resource
stream_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with open(path, encoding="utf-8", newline="") as f:
    text = f.read()
start = time.process_time()
whole = tokenizer.encode_array(text).size
print(json.dumps({"cpu_s": streamed, "whole_cpu_s": time.process_time() - start,
                  "stream_peak_rss_mb": round(stream_peak_mb, 1),
                  "ids": int(ids), "same_count_as_whole": int(ids) == int(whole),
                  "forced_cut_warned": bool(warned)}))
"""


def make_corpus(workdir: Path, megabytes: float, ending: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    name = "crlf" if ending == "\r\n" else "lf"
    path = workdir / f"cuts-{name}-{megabytes:g}mb.txt"
    if not path.exists():
        line = f"the quick brown fox, 12 naïve jumps{ending}over the lazy dog's back.{ending}"
        path.write_bytes((line * int(megabytes * 1e6 / len(line.encode()))).encode())
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/checked-cuts"))
    parser.add_argument("--megabytes", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--patterns", default="gpt2,default",
                        help="gpt2 (a tokenizer's own pattern: checked cuts), default (the "
                        "built-in pre-token pattern: whitespace cuts)")
    options = parser.parse_args()
    print_machine_report(isolated=True)
    print(json.dumps({"cpu": cpu_model(), "megabytes": options.megabytes}), flush=True)
    patterns = {"gpt2": GPT2, "default": "default"}
    for ending, name in itertools.product(("\n", "\r\n"), options.patterns.split(",")):
        corpus = make_corpus(options.workdir, options.megabytes, ending)
        for _ in range(options.rounds):
            for tree in (options.baseline, ROOT):
                env = dict(os.environ,
                           PYTHONPATH=os.pathsep.join(str(tree / d) for d in SOURCE_DIRS))
                done = subprocess.run([sys.executable, "-c", WORKER, str(corpus),
                                       patterns[name]],
                                      capture_output=True, text=True, env=env, check=True)
                print(json.dumps({"corpus": corpus.name, "pattern": name, "tree": tree.name,
                                  "load": load_average(),
                                  **json.loads(done.stdout.strip().splitlines()[-1])}),
                      flush=True)


if __name__ == "__main__":
    main()
