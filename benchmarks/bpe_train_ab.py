"""A/B of byte-level BPE training on two source trees beside Hugging Face `tokenizers`, one run.

Each measurement is a fresh process (rounds alternate the sides): seqlab's `BPETokenizer.train`
through its plain-Python merge loop (what corpora up to `PYTHON_MERGE_LIMIT` distinct-word
bytes use) and through the Numba kernel (forced; its cache is loaded by a small warm-up train
before the clock starts), on this tree and on --baseline-src; and `tokenizers`' BpeTrainer
with the same settings (ByteLevel, no prefix space, the 4 specials, the whole byte alphabet,
min_frequency 2) in --peer-python, on all the cores it finds. Wall and CPU (user + sys of the
process, every thread) seconds, medians, and the ratios. `--task encode` times instead the
encoding of the corpus (each side's per-word cache empty) by the tokenizer each side trains on
it, untimed, first. Each run also prints a digest of its merges (train) or ids (encode), and
the summary says which sides equal `tokenizers`.

    uv run python benchmarks/bpe_train_ab.py --baseline-src /tmp/base-bpehf \\
        --peer-python /work/peers/bin/python --corpus /tmp/bpehf/synth10m.txt --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from tree_ab import PACKAGES

SEQLAB = """
import hashlib, json, os, sys, time
path, vocab_size, numba = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "numba"
encode = sys.argv[4] == "encode"
text = open(path, encoding="utf-8").read()
from seqlab.nlp.tokenizers import BPETokenizer, bpe
if numba:
    bpe.PYTHON_MERGE_LIMIT = 0
    BPETokenizer.train(text[:20000], vocab_size=300)  # loads the kernel's cache
if encode:
    tokenizer = BPETokenizer.train(text, vocab_size=vocab_size)
wall, cpu = time.perf_counter(), os.times()
if encode:
    result = tokenizer.encode(text)
else:
    tokenizer = BPETokenizer.train(text, vocab_size=vocab_size)
    result = [[tokenizer.id_to_token(a), tokenizer.id_to_token(b)] for a, b in tokenizer.merges]
after = os.times()
print(json.dumps({"wall": time.perf_counter() - wall,
                  "cpu": after.user + after.system - cpu.user - cpu.system,
                  "merges": len(tokenizer.merges), "source": bpe.__file__,
                  "digest": hashlib.sha256(json.dumps(result).encode()).hexdigest()[:12]}))
"""
PEER = """
import hashlib, json, os, sys, time
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
path, vocab_size, encode = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "encode"
text = open(path, encoding="utf-8").read()
wall, cpu = time.perf_counter(), os.times()
tokenizer = Tokenizer(models.BPE())
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2,
                              special_tokens=["<pad>", "<unk>", "<s>", "</s>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                              show_progress=False)
tokenizer.train_from_iterator([text], trainer=trainer)
if encode:
    wall, cpu = time.perf_counter(), os.times()
    result = tokenizer.encode(text).ids
else:
    result = json.loads(tokenizer.to_str())["model"]["merges"]
after = os.times()
print(json.dumps({"wall": time.perf_counter() - wall,
                  "cpu": after.user + after.system - cpu.user - cpu.system,
                  "merges": tokenizer.get_vocab_size() - 260, "source": "tokenizers",
                  "digest": hashlib.sha256(json.dumps(result).encode()).hexdigest()[:12]}))
"""


def _run(command: list[str], env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _cpu() -> tuple[str, str]:
    model, flags = platform.processor(), ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
        elif line.startswith("flags"):
            flags = line
    return model, "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    parser.add_argument("--vocab-size", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--task", choices=("train", "encode"), default="train")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    model, isa = _cpu()
    print(f"CPU {model}, {isa}, {os.cpu_count()} CPUs, BLAS not used, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, load "
          f"{Path('/proc/loadavg').read_text().split()[:3]}")
    trees = {"after": here, "before": args.baseline_src.resolve()}
    for corpus in args.corpus:
        sides: dict[str, list[dict]] = {}
        for round_ in range(args.rounds):
            runs = [(f"{tree} {loop}", [sys.executable, "-c", SEQLAB, str(corpus),
                                        str(args.vocab_size), loop, args.task],
                     {**os.environ, "PYTHONPATH": os.pathsep.join(
                         str(trees[tree] / p) for p in PACKAGES)})
                    for loop in ("python", "numba") for tree in ("before", "after")]
            if args.peer_python:
                runs.append(("tokenizers", [args.peer_python, "-c", PEER, str(corpus),
                                            str(args.vocab_size), args.task], None))
            shift = round_ % len(runs)  # each round starts with another side
            for name, command, env in runs[shift:] + runs[:shift]:
                result = _run(command, env)
                expected = "tokenizers" if name == "tokenizers" else str(trees[name.split()[0]])
                assert result["source"].startswith(expected), (name, result["source"])
                sides.setdefault(name, []).append(result)
        size = corpus.stat().st_size / 1e6
        print(f"\n{args.task} {corpus} ({size:.1f} MB), vocab {args.vocab_size}, median of "
              f"{args.rounds}, "
              f"load now {Path('/proc/loadavg').read_text().split()[:3]}")
        medians = {name: {key: statistics.median(r[key] for r in runs)
                          for key in ("wall", "cpu")} for name, runs in sides.items()}
        for name, median in medians.items():
            digests = {r["digest"] for r in sides[name]}
            same = ("" if "tokenizers" not in sides else
                    "  = tokenizers" if digests == {r["digest"] for r in sides["tokenizers"]}
                    else "  differs from tokenizers")
            print(f"  {name:16} wall {median['wall']:7.3f} s  cpu {median['cpu']:7.3f} s  "
                  f"merges {sides[name][0]['merges']}  digest {'/'.join(sorted(digests))}{same}")
        for loop in ("python", "numba"):
            after, before = medians[f"after {loop}"], medians[f"before {loop}"]
            line = (f"  {loop:6} after/before: wall {after['wall'] / before['wall']:.3f}, "
                    f"cpu {after['cpu'] / before['cpu']:.3f}")
            if "tokenizers" in medians:
                peer = medians["tokenizers"]
                line += (f"; after/tokenizers: wall {after['wall'] / peer['wall']:.2f}, "
                         f"cpu {after['cpu'] / peer['cpu']:.2f}")
            print(line)


if __name__ == "__main__":
    main()
