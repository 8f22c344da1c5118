"""Byte-level BPE: seqlab vs Hugging Face `tokenizers` (train to a vocab size, encode, decode).

Run by hand:  uv run python benchmarks/bpe.py --peer-python /work/peers/bin/python
The peer part runs in a subprocess with the peer's python (this file with --role peer).
Prints medians of --repeats runs and the ratio seqlab / peer (below 1 means seqlab is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_common import add_peer_python, emit_result, median_time, print_machine_report

DEFAULT_CORPUS = "/work/shared/data/tinyshakespeare.txt"


def timed(function, repeats: int) -> tuple[float, object]:
    """Median wall time of `repeats` calls, and the last result."""
    return median_time(function, repeats)


def run_seqlab(text: str, vocab_size: int, repeats: int) -> dict[str, float]:
    from seqlab.nlp.tokenizers import BPETokenizer

    start = time.perf_counter()
    BPETokenizer.train(text, vocab_size=vocab_size)  # includes Numba compile or cache load
    first_train = time.perf_counter() - start
    train, tokenizer = timed(lambda: BPETokenizer.train(text, vocab_size=vocab_size), repeats)

    def encode_cold():
        tokenizer._cache.clear()  # time the merges, not just the per-word cache
        return tokenizer.encode(text)

    encode, ids = timed(encode_cold, repeats)
    encode_warm, _ = timed(lambda: tokenizer.encode(text), repeats)
    decode, decoded = timed(lambda: tokenizer.decode(ids), repeats)
    assert decoded == text, "seqlab BPE round trip failed"
    lines = text.splitlines()

    def encode_lines_cold():
        tokenizer._cache.clear()
        return [tokenizer.encode(line) for line in lines]

    encode_lines, _ = timed(encode_lines_cold, repeats)
    return {
        "first_train_s": first_train,
        "train_s": train,
        "encode_s": encode,
        "encode_warm_s": encode_warm,
        "encode_lines_s": encode_lines,
        "decode_s": decode,
        "vocab_size": tokenizer.vocab_size,
        "tokens": len(ids),
    }


def run_peer(text: str, vocab_size: int, repeats: int) -> dict[str, float]:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    def train():
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=2,
            special_tokens=["<pad>", "<unk>", "<s>", "</s>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tokenizer.train_from_iterator([text], trainer=trainer)
        return tokenizer

    train_s, tokenizer = timed(train, repeats)
    encode_s, encoding = timed(lambda: tokenizer.encode(text), repeats)
    ids = encoding.ids
    decode_s, decoded = timed(lambda: tokenizer.decode(ids), repeats)
    lines = text.splitlines()
    encode_lines_s, _ = timed(lambda: tokenizer.encode_batch(lines), repeats)
    return {
        "train_s": train_s,
        "encode_s": encode_s,
        "decode_s": decode_s,
        "encode_lines_s": encode_lines_s,
        "vocab_size": tokenizer.get_vocab_size(),
        "tokens": len(ids),
        "round_trip": decoded == text,
        "threads": os.environ.get("RAYON_NUM_THREADS", "all cores"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--vocab-size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    add_peer_python(parser, "tokenizers")
    parser.add_argument("--role", choices=["main", "peer"], default="main")
    args = parser.parse_args()
    text = Path(args.corpus).read_text(encoding="utf-8")

    if args.role == "peer":
        emit_result(run_peer(text, args.vocab_size, args.repeats))
        return

    print_machine_report()
    ours = run_seqlab(text, args.vocab_size, args.repeats)
    print(
        f"corpus {args.corpus}: {len(text.encode()) / 1e6:.2f} MB, vocab {args.vocab_size}, "
        f"median of {args.repeats}"
    )
    print(f"seqlab  first train (Numba compile/cache load included): {ours['first_train_s']:.3f} s")
    peer = None
    if args.peer_python:
        command = [
            args.peer_python,
            __file__,
            "--role",
            "peer",
            "--corpus",
            args.corpus,
            "--vocab-size",
            str(args.vocab_size),
            "--repeats",
            str(args.repeats),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode == 0:
            peer = json.loads(result.stdout.strip().splitlines()[-1])
        else:
            print(f"peer failed:\n{result.stderr[-2000:]}", file=sys.stderr)
    else:
        print("no --peer-python (or SEQLAB_PEER_PYTHON): skipping the tokenizers peer")

    print(f"{'':18}{'seqlab':>12}{'tokenizers':>12}{'ratio':>9}")
    rows = [
        ("train_s", "train"),
        ("encode_s", "encode 1 string"),
        ("encode_lines_s", "encode by line"),
        ("decode_s", "decode"),
    ]
    for key, label in rows:
        theirs = f"{peer[key]:12.3f}{ours[key] / peer[key]:9.2f}" if peer else ""
        print(f"{label + ' s':18}{ours[key]:12.3f}{theirs}")
    print(f"{'tokens':18}{ours['tokens']:12d}{peer['tokens'] if peer else '':>12}")
    print(f"seqlab encode 1 string with a warm word cache: {ours['encode_warm_s']:.3f} s")
    print("(tokenizers encode by line = its encode_batch, parallel over RAYON_NUM_THREADS)")
    if peer:
        print(f"tokenizers threads: {peer['threads']}; round trip exact: {peer['round_trip']}")


if __name__ == "__main__":
    main()
