"""Peak memory (maxrss) of `seqlab tokenize decode` reading a long stream of ids from stdin,
for two source trees (stop 19: plain ids read whole, then a bounded piece at a time; stop 20:
`encode --json`'s object and `decode --json`'s output the same) beside Hugging Face
`tokenizers` decoding the same ids with the same tokenizer (exported with `tokenize export
--format hf`; its `decode` takes the whole list). `--json-input` feeds `tokenize encode
--json`'s object, `--json-output` passes `decode --json`. Each run is a fresh process,
alternated, `rounds` times per size; every output is checked byte for byte against the
expected one (the corpus, or its `{"text": ...}` object). The parent holds no corpus or ids:
a child's maxrss counts the pages of the parent it was forked from.

    uv run python benchmarks/tokenize_decode_memory.py --baseline-src /tmp/base \\
        --corpus /work/shared/data/tinyshakespeare.txt --copies 2 6 --rounds 3
    uv run python benchmarks/tokenize_decode_memory.py --baseline-src /tmp/base \\
        --corpus /work/shared/data/tinyshakespeare.txt --copies 6 --json-input --json-output
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import print_machine_report
from tree_ab import PACKAGES, cpu_model, load_averages

PEER_PYTHON = "/work/peers/bin/python"
PEER = """
import json, sys
from tokenizers import Tokenizer
tokenizer = Tokenizer.from_file(sys.argv[1])
given = sys.stdin.read()
ids = json.loads(given)["ids"] if sys.argv[2] == "json" else [int(w) for w in given.split()]
text = tokenizer.decode(ids, skip_special_tokens=True)
sys.stdout.write(json.dumps({"text": text}) + "\\n" if sys.argv[3] == "json" else text)
"""
# writes the expected --json output for the corpus (in a child: the parent stays small)
EXPECTED_JSON = """
import json, sys
from pathlib import Path
Path(sys.argv[2]).write_text(json.dumps({"text": Path(sys.argv[1]).read_bytes().decode()})
                             + "\\n")
"""


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(tree / p) for p in PACKAGES)}


def _seqlab(tree: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqlab.cli", *map(str, args)],
                          env=_env(tree), check=True, **kwargs)


def _measured(command: list[str], env: dict[str, str] | None, ids: Path,
              out: Path) -> tuple[float, float, float]:
    """(peak RSS in MB, wall s, user+sys s) of `command` with `ids` on stdin."""
    import time

    with ids.open("rb") as stdin, out.open("wb") as stdout:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command[:3]} failed ({status})")
    return usage.ru_maxrss / 1024, wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--copies", type=int, nargs="+", default=[2, 6])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vocab-size", type=int, default=1000)
    parser.add_argument("--json-input", action="store_true",
                        help="stdin holds `tokenize encode --json`'s object")
    parser.add_argument("--json-output", action="store_true", help="decode --json")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    form_in, form_out = ("json" if args.json_input else "plain",
                         "json" if args.json_output else "plain")
    here = Path(__file__).resolve().parents[1]
    trees = {"before": args.baseline_src, "after": here}
    print(f"CPU {cpu_model()} ({platform.machine()}; no BLAS in this path); "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; load {load_averages()}; "
          f"input {form_in}, output {form_out}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        tokenizer, hf = folder / "bpe.json", folder / "tokenizer.json"
        _seqlab(here, "tokenize", "train", args.corpus, "--level", "bpe", "--vocab-size",
                args.vocab_size, "--out", tokenizer, "-q")
        _seqlab(here, "tokenize", "export", tokenizer, "--format", "hf", "--out", hf,
                stdout=subprocess.DEVNULL)
        for copies in args.copies:
            corpus = folder / "corpus.txt"
            with corpus.open("wb") as out:  # the parent stays small: a child forked from it
                for _ in range(copies):      # counts the parent's pages in its maxrss
                    out.write(args.corpus.read_bytes())
            ids = folder / "ids.txt"
            with ids.open("wb") as out:
                _seqlab(here, "tokenize", "encode", tokenizer, corpus,
                        *(["--json"] if args.json_input else []), stdout=out)
            with ids.open("rb") as file:
                separator = b"," if args.json_input else b" "
                count = 1 + sum(piece.count(separator)  # one between ids, one line
                                for piece in iter(lambda: file.read(1 << 20), b""))
            expected = corpus
            if args.json_output:
                expected = folder / "expected.json"
                subprocess.run([sys.executable, "-c", EXPECTED_JSON, str(corpus),
                                str(expected)], check=True)
            json_option = ["--json"] if args.json_output else []
            commands = {name: ([sys.executable, "-m", "seqlab.cli", "tokenize", "decode",
                                str(tokenizer), *json_option], _env(tree))
                        for name, tree in trees.items()}
            commands["hf tokenizers"] = ([PEER_PYTHON, "-c", PEER, str(hf), form_in,
                                          form_out], None)
            figures: dict[str, list[tuple[float, float, float]]] = {n: [] for n in commands}
            for _ in range(args.rounds):
                for name, (command, env) in commands.items():
                    decoded = folder / "decoded.txt"
                    figures[name].append(_measured(command, env, ids, decoded))
                    if not filecmp.cmp(decoded, expected, shallow=False):
                        raise SystemExit(f"{name} did not give the corpus back")
            print(f"\n{copies} copies: {corpus.stat().st_size / 1e6:.1f} MB of text, "
                  f"{count:,} ids ({ids.stat().st_size / 1e6:.1f} MB); medians of "
                  f"{args.rounds}; load {load_averages()}")
            after = [statistics.median(f[i] for f in figures["after"]) for i in range(3)]
            for name, runs in figures.items():
                rss, wall, cpu = (statistics.median(run[i] for run in runs) for i in range(3))
                print(f"  {name:14s} peak RSS {rss:7.1f} MB  wall {wall:6.2f} s  "
                      f"user+sys {cpu:6.2f} s   after/this: RSS {after[0] / rss:.2f}  "
                      f"wall {after[1] / wall:.2f}  cpu {after[2] / cpu:.2f}")


if __name__ == "__main__":
    main()
