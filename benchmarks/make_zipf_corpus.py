"""Make a corpus whose vocabulary keeps growing with its size, as real text's does (Heaps' law).

`make_corpus.py` samples from a model of the text we have, so its vocabulary stops at ~60k
words whatever the size; a 1 GB crawl or Wikipedia dump has millions of distinct tokens, and
there the vocabulary scan (every tool's word counts) sets the peak memory. This script draws
words from a Zipf law (exponent `--exponent`) over `--universe` distinct pseudo-words (letters
spelling the rank), sentences of 5-40 words, one per line, with a seeded RNG.

    uv run python benchmarks/make_zipf_corpus.py --size 200M --out /tmp/zipf200m.txt

Prints the number of distinct words written.
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path

import numpy as np

LETTERS = np.array(list(string.ascii_lowercase))


def spell(rank: int) -> str:
    """A pseudo-word for a rank: its base-26 digits as letters (rank 0 is "a")."""
    letters = []
    while True:
        rank, digit = divmod(rank, 26)
        letters.append(string.ascii_lowercase[digit])
        if rank == 0:
            return "".join(reversed(letters))


def parse_size(text: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    unit = text[-1].upper()
    return int(float(text[:-1]) * units[unit]) if unit in units else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="200M", help="bytes to write, e.g. 200M, 1G")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--exponent", type=float, default=1.2)
    parser.add_argument("--universe", type=int, default=50_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    target = parse_size(args.size)
    common = [spell(rank) for rank in range(1 << 20)]
    seen: set[int] = set()
    written = 0
    with args.out.open("w", encoding="ascii") as out:
        while written < target:
            lengths = rng.integers(5, 41, 20_000)
            ranks = (rng.zipf(args.exponent, int(lengths.sum())) - 1) % args.universe
            seen.update(np.unique(ranks).tolist())
            words = [common[r] if r < len(common) else spell(r) for r in ranks.tolist()]
            ends = np.cumsum(lengths)
            lines = [" ".join(words[end - length:end]) for end, length in zip(ends, lengths)]
            text = "\n".join(lines) + "\n"
            out.write(text[: target - written])
            written += min(len(text), target - written)
    print(f"{args.out}: {written} bytes, {len(seen)} distinct words drawn")


if __name__ == "__main__":
    main()
