"""A/B of the id cache's key on two source trees, alternating in one run: seconds of wall and
CPU for `cached_token_ids` on a cache hit (the key: before, size + mtime + three sampled
64 KiB; after, SHA-256 of every byte) and on a miss (key + encoding + writing the ids), each in
a fresh process with the corpus in the page cache; and the raw file-hash rates (SHA-256,
BLAKE2b, CRC-32) that chose the hash.

    uv run python benchmarks/cache_fingerprint_ab.py --baseline-src /tmp/base \\
        --corpus /work/shared/data/tinyshakespeare.txt --copies 90 --rounds 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

PACKAGES = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
            "apps/cli/src")
CACHED = """
import json, sys, time
from seqlab.nlp.corpora import cached_token_ids
from seqlab.nlp.tokenizers import CharTokenizer
path, cache, sample = sys.argv[1:4]
tokenizer = CharTokenizer.train(open(sample, encoding="utf-8").read())
wall, cpu = time.perf_counter(), time.process_time()
ids = cached_token_ids(path, tokenizer, cache)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "count": int(ids.size)}))
"""


def _run(tree: Path, path: Path, cache: Path, sample: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(tree / p) for p in PACKAGES)}
    done = subprocess.run([sys.executable, "-c", CACHED, str(path), str(cache), str(sample)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _hash_rates(path: Path) -> dict[str, float]:
    """GB/s of each whole-file hash (best of 3, file in the page cache)."""
    def crc32(stream):
        value = 0
        while block := stream.read(1 << 20):
            value = zlib.crc32(block, value)

    hashes = {"sha256": lambda s: hashlib.file_digest(s, "sha256"),
              "blake2b": lambda s: hashlib.file_digest(s, "blake2b"),
              "crc32": crc32}
    rates = {}
    for name, run in hashes.items():
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            with open(path, "rb") as stream:
                run(stream)
            best = min(best, time.perf_counter() - start)
        rates[name] = path.stat().st_size / best / 1e9
    return rates


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = {"before": args.baseline_src, "after": Path(__file__).resolve().parents[1]}
    flags = Path("/proc/cpuinfo").read_text().split("flags", 1)[-1].split("\n", 1)[0] \
        if Path("/proc/cpuinfo").exists() else ""
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "other"
    print(f"CPU {_cpu()}, {isa}{', SHA-NI' if ' sha_ni' in flags else ''}, "
          f"load {Path('/proc/loadavg').read_text().split()[:3]} (BLAS not used)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.txt"
        path.write_bytes(args.corpus.read_bytes() * args.copies)
        size = path.stat().st_size
        print(f"{size / 1e6:.1f} MB, char tokenizer, {args.rounds} rounds, trees alternated")
        print("file hash rates (GB/s): " + ", ".join(
            f"{name} {rate:.2f}" for name, rate in _hash_rates(path).items()))
        counts = set()
        figures = {(name, case): {"wall": [], "cpu": []}
                   for name in trees for case in ("miss", "hit")}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                cache = Path(folder) / f"{name}.cache"
                shutil.rmtree(cache, ignore_errors=True)
                for case in ("miss", "hit"):
                    result = _run(tree, path, cache, args.corpus)
                    counts.add(result["count"])
                    for key in ("wall", "cpu"):
                        figures[name, case][key].append(result[key])
        assert len(counts) == 1, counts  # both trees map the same number of ids
        for case in ("miss", "hit"):
            medians = {name: {key: statistics.median(figures[name, case][key])
                              for key in ("wall", "cpu")} for name in trees}
            row = ", ".join(f"{name} {m['wall']:.3f} s wall / {m['cpu']:.3f} s CPU"
                            for name, m in medians.items())
            ratio = medians["after"]["wall"] / medians["before"]["wall"]
            cpu_ratio = medians["after"]["cpu"] / medians["before"]["cpu"]
            print(f"{case}: {row}; after/before wall {ratio:.2f}, CPU {cpu_ratio:.2f}")
        print(json.dumps({"load_after": Path("/proc/loadavg").read_text().split()[:3]}))


if __name__ == "__main__":
    main()
