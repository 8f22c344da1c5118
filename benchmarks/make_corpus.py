"""Make a reproducible synthetic English-like corpus of a given size for the n-gram benchmarks.

Repeating tinyshakespeare to 1 GB keeps the number of distinct n-grams at the 1 MB level,
which flatters a counter. This script instead estimates a word 4-gram model on the text we
have (tinyshakespeare plus the text corpora gensim ships in its test data) and samples from
it with a seeded RNG, so distinct n-grams keep growing with the corpus size as in real text.

The model is interpolated Kneser-Ney style: absolute discount 0.75 at every order, raw counts
at the highest order (and for n-grams that start with <s>), continuation counts below. A
sampled word comes from the longest known history with probability (c(h) - D n(h)) / c(h),
otherwise the sampler backs off one order; the unigram level uses continuation counts.
Source lines are split into sentences after tokens ending in . ? ! and at 40 tokens (the
stemmed Wikipedia file has no punctuation); tokens are split on whitespace, case kept.
Sampled sentences are capped at 200 words.

    uv run python benchmarks/make_corpus.py --size 1G --out /work/corpora/synth1g.txt

The output of a given --seed and --size is the same on every run (chunks are generated with
seeds derived from --seed, so the first 100 MB of the 1 GB file equal the 100 MB file up to
the cut at the end). Prints the sha256 of the file written.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from pathlib import Path

import numba
import numpy as np

GENSIM_DATA = Path("/work/peers/lib/python3.11/site-packages/gensim/test/test_data")
SOURCES = [
    Path("/work/shared/data/tinyshakespeare.txt"),
    GENSIM_DATA / "lee_background.cor",
    GENSIM_DATA / "lee.cor",
    GENSIM_DATA / "head500.noblanks.cor",
]
ORDER = 4
DISCOUNT = 0.75
MAX_SOURCE_SENTENCE = 40
MAX_SAMPLED_SENTENCE = 200
BITS = 21  # ids packed into uint64 history keys: 3 x 21 bits
CHUNK = 64 << 20
BOS, EOS = 0, 1


def parse_size(text: str) -> int:
    """'200M', '1G', '1500000' -> bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def source_sentences(paths: list[Path]):
    """Yield each source sentence as a list of whitespace-split tokens."""
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                sentence: list[str] = []
                for token in line.split():
                    sentence.append(token)
                    if token[-1] in ".?!" or len(sentence) >= MAX_SOURCE_SENTENCE:
                        yield sentence
                        sentence = []
                if sentence:
                    yield sentence


def pack(ids) -> int:
    key = 0
    for position, word in enumerate(ids):
        key |= int(word) << (BITS * position)
    return key


def estimate(paths: list[Path]):
    """Vocabulary and per-order count tables (history -> Counter of next words)."""
    vocab = {"<s>": BOS, "</s>": EOS}
    raw = [Counter() for _ in range(ORDER + 1)]  # raw[m]: m-gram tuple -> count
    for sentence in source_sentences(paths):
        ids = [BOS] + [vocab.setdefault(word, len(vocab)) for word in sentence] + [EOS]
        for m in range(1, ORDER + 1):
            for start in range(len(ids) - m + 1):
                raw[m][tuple(ids[start : start + m])] += 1
    if len(vocab) >= 1 << BITS:
        raise SystemExit(f"vocabulary of {len(vocab)} words does not fit {BITS}-bit ids")
    continuation = [Counter() for _ in range(ORDER + 1)]
    for m in range(2, ORDER + 1):
        for gram in raw[m]:
            continuation[m - 1][gram[1:]] += 1
    words = [None] * len(vocab)
    for word, index in vocab.items():
        words[index] = word
    return words, raw, continuation


def level_tables(raw, continuation, history_length: int):
    """Sorted history keys and, per history, its next words with cumulative discounted mass."""
    m = history_length + 1
    by_history: dict[tuple, list[tuple[int, float]]] = {}
    for gram, count in raw[m].items():
        if gram[-1] == BOS:
            continue
        if m < ORDER and gram[0] != BOS:
            count = continuation[m][gram]
        if count <= 0:
            continue
        by_history.setdefault(gram[:-1], []).append((gram[-1], float(count)))
    histories = sorted(by_history, key=pack)
    keys = np.array([pack(h) for h in histories], dtype=np.uint64)
    offsets = np.zeros(len(histories) + 1, dtype=np.int64)
    next_words, cumulative, totals, kept = [], [], [], []
    for index, history in enumerate(histories):
        entries = sorted(by_history[history])
        offsets[index + 1] = offsets[index] + len(entries)
        running = 0.0
        for word, count in entries:
            next_words.append(word)
            running += count - DISCOUNT if history_length else count
            cumulative.append(running)
        totals.append(sum(count for _, count in entries))
        kept.append(running)
    return (
        keys,
        offsets,
        np.array(next_words, dtype=np.int32),
        np.array(cumulative, dtype=np.float64),
        np.array(totals, dtype=np.float64),
        np.array(kept, dtype=np.float64),
    )


@numba.njit(cache=True)
def _find(keys, key):
    index = np.searchsorted(keys, key)
    if index < keys.shape[0] and keys[index] == key:
        return index
    return -1


@numba.njit(cache=True)
def _pick(cumulative, start, stop, mass):
    low, high = start, stop - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] > mass:
            high = middle
        else:
            low = middle + 1
    return low


@numba.njit(cache=True)
def generate_chunk(seed, target, keys, offsets, next_words, cumulative, totals, kept, text,
                   text_offsets):
    """Sample sentences until at least `target` bytes; return the bytes (whole lines only)."""
    np.random.seed(seed)
    out = np.empty(target + 64 * 1024, dtype=np.uint8)
    used = 0
    levels = len(keys)
    history = np.zeros(levels, dtype=np.int64)
    while used < target:
        history[:] = -1
        history[levels - 1] = BOS  # most recent word last
        length = 0
        line_start = used
        while True:
            word = EOS
            chosen = False
            for level in range(levels - 1, 0, -1):  # history lengths levels-1 .. 1
                key = np.uint64(0)
                known = True
                for position in range(level):
                    word_id = history[levels - level + position]
                    if word_id < 0:
                        known = False
                        break
                    key |= np.uint64(word_id) << np.uint64(BITS * position)
                if not known:
                    continue
                found = _find(keys[level], key)
                if found < 0:
                    continue
                total = totals[level][found]
                mass = np.random.random() * total
                if mass < kept[level][found]:
                    start, stop = offsets[level][found], offsets[level][found + 1]
                    word = next_words[level][_pick(cumulative[level], start, stop, mass)]
                    chosen = True
                    break
            if not chosen:
                mass = np.random.random() * kept[0][0]
                word = next_words[0][_pick(cumulative[0], 0, next_words[0].shape[0], mass)]
            if word == EOS or length >= MAX_SAMPLED_SENTENCE:
                break
            if used + (text_offsets[word + 1] - text_offsets[word]) + 2 > out.shape[0]:
                break
            if length:
                out[used] = 32
                used += 1
            for byte in range(text_offsets[word], text_offsets[word + 1]):
                out[used] = text[byte]
                used += 1
            length += 1
            for position in range(levels - 1):
                history[position] = history[position + 1]
            history[levels - 1] = word
        if length == 0:
            used = line_start
            continue
        out[used] = 10
        used += 1
    return out[:used]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="200M", help="bytes to write, e.g. 200M, 1G")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    target = parse_size(args.size)
    missing = [str(p) for p in SOURCES if not p.exists()]
    if missing:
        raise SystemExit(f"source text missing: {', '.join(missing)}")

    started = time.perf_counter()
    words, raw, continuation = estimate(SOURCES)
    tables = [level_tables(raw, continuation, length) for length in range(ORDER)]
    keys, offsets, next_words, cumulative, totals, kept = (
        numba.typed.List([table[i] for table in tables]) for i in range(6)
    )
    encoded = [word.encode("utf-8") for word in words]
    text = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    text_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    text_offsets[1:] = np.cumsum([len(w) for w in encoded])
    print(f"model: {len(words)} words, {sum(len(r) for r in raw)} n-grams, "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)

    digest = hashlib.sha256()
    written = 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".partial")
    with open(partial, "wb") as handle:
        chunk_index = 0
        while written < target:
            want = min(CHUNK, target - written)
            block = generate_chunk(args.seed * 100003 + chunk_index, want, keys, offsets,
                                   next_words, cumulative, totals, kept, text, text_offsets)
            data = block.tobytes()
            handle.write(data)
            digest.update(data)
            written += len(data)
            chunk_index += 1
    partial.replace(args.out)
    print(f"wrote {written} bytes to {args.out} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    print(f"sha256 {digest.hexdigest()}  {args.out}")


if __name__ == "__main__":
    main()
