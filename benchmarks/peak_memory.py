"""Peak memory (max RSS) and wall time of the corpus commands on a large generated corpus.

The corpus is --corpus FILE, or tinyshakespeare repeated to --mb megabytes in a temporary folder
(never in the repository). Each command runs in its own process, as a user runs it; its peak
resident set comes from os.wait4's rusage (what /usr/bin/time -v reports as "Maximum resident
set size"). The CPU model and the load average before and after each command are printed: the
machine may be shared, so wall times are only as good as the load they were measured under.

    uv run python benchmarks/peak_memory.py --mb 50
    uv run python benchmarks/peak_memory.py --corpus /work/corpora/synth1g.txt \
        --peer-python /work/peers/bin/python --only word2vec     # seqlab and gensim
    uv run python benchmarks/peak_memory.py --mb 50 --baseline /tmp/seqlab-base   # old code
    uv run python benchmarks/peak_memory.py --mb 50 --peer-python /work/peers/bin/python \\
        --lmplz /tmp/kenlm/build/bin/lmplz

--baseline ROOT runs the seqlab commands from another checkout's sources (for example
`git archive <commit> | tar -x -C ROOT`), so old and new are measured on the same machine.
Peers (gensim's LineSentence word2vec, HF tokenizers' byte-level BPE, KenLM's lmplz) run when
given. The machine is shared: read the ratios, and run one benchmark at a time.
`benchmarks/memory_breakdown.py` shows where one command's peak is, mapping by mapping.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_common
from bench_common import (
    SOURCE_DIRS,  # noqa: F401  (other benchmarks import it from here)
    add_peer_python,
    print_machine_report,
    source_pythonpath,
)

DEFAULT_SOURCE = "/work/shared/data/tinyshakespeare.txt"

PEER_WORD2VEC = """
import sys, time
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
window = int(sys.argv[2])
model = Word2Vec(vector_size=50, window=window, min_count=5, sg=1, negative=5, workers=2, seed=1)
model.build_vocab(LineSentence(sys.argv[1]))  # streamed from disk, as on every epoch
start = time.perf_counter()
trained, raw = model.train(LineSentence(sys.argv[1]), total_examples=model.corpus_count,
                           epochs=1)
print(f"vocabulary {len(model.wv)} words/s {trained / (time.perf_counter() - start):.0f}")
"""
PEER_BPE = """
import sys
from tokenizers import ByteLevelBPETokenizer
tokenizer = ByteLevelBPETokenizer()
tokenizer.train([sys.argv[1]], vocab_size=2000, min_frequency=2, show_progress=False)
print(f"vocabulary {tokenizer.get_vocab_size()}")
"""


def make_corpus(source: Path, megabytes: int, folder: Path) -> Path:
    """`source` repeated until the file has `megabytes` MB (ends with a newline)."""
    path = folder / f"corpus-{megabytes}MB.txt"
    if path.is_file() and path.stat().st_size >= megabytes << 20:
        return path
    text = source.read_bytes()
    with open(path, "wb") as out:
        written = 0
        while written < megabytes << 20:
            out.write(text)
            written += len(text)
    return path


def cpu_model() -> str:
    """The CPU's model name and the machine's CPU count."""
    return f"{bench_common.cpu_model()}, {os.cpu_count()} CPUs"


def load_average() -> float:
    """The 1-minute load average (0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def measure(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run `command`; its wall time, CPU time (user + sys), peak RSS (MB), exit status,
    stdout tail and the load average before and after."""
    load_before = load_average()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=env, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": time.perf_counter() - start, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024,
            "rc": process.returncode, "load": [load_before, load_average()],
            "tail": output.strip().splitlines()[-1:] or [""]}


def seqlab_commands(corpus: Path, out: Path, new: bool,
                    val_fraction: float = 0.1, window: int = 5) -> dict[str, list[str]]:
    """The measured commands (train: few steps, as what matters is reading and caching)."""
    memory = ["--memory", "1G"] if new else []
    validation = ["--val-fraction", str(val_fraction)]
    return {
        "tokenize train --level bpe --vocab-size 2000": [
            "tokenize", "train", str(corpus), "--level", "bpe", "--vocab-size", "2000",
            "--out", str(out / "bpe.json"), "--json"],
        f"word2vec train --dim 50 --window {window} --epochs 1": [
            "word2vec", "train", str(corpus), "--dim", "50", "--window", str(window),
            "--epochs", "1", "--workers", "2",
            "--out", str(out / "vectors.txt"), "--json", "--quiet"],
        "train --level word --vocab-size 10000 (30 steps, 1x64 LSTM)": [
            "train", str(corpus), "--level", "word", "--vocab-size", "10000", "--steps", "30",
            "--hidden", "64", "--layers", "1", "--out", str(out / "word.safetensors"), "--json",
            "--quiet", "--eval-every", "1000", *validation],
        "train --level bpe (30 steps, 1x64 LSTM)": [
            "train", str(corpus), "--level", "bpe", "--vocab-size", "2000", "--steps", "30",
            "--hidden", "64", "--layers", "1", "--out", str(out / "bpe.safetensors"), "--json",
            "--quiet", "--eval-every", "1000", *validation],
        "train --level char (30 steps, 1x64 LSTM)": [
            "train", str(corpus), "--level", "char", "--steps", "30", "--hidden", "64",
            "--layers", "1", "--out", str(out / "char.safetensors"), "--json", "--quiet",
            "--eval-every", "1000", *validation],
        "ngram train --order 5" + (" --memory 1G" if new else ""): [
            "ngram", "train", str(corpus), "--order", "5", *memory, "--out",
            str(out / "lm.arpa"), "--json", "--quiet"],
    }


def peer_commands(args: argparse.Namespace, corpus: Path, out: Path) -> dict[str, list[str]]:
    """The peers' commands as "seqlab command: peer: what" (so --only picks them with the
    seqlab command they match)."""
    peers: dict[str, list[str]] = {}
    if args.peer_python:
        peers[f"word2vec: gensim: Word2Vec(LineSentence), dim 50, window {args.window}, 1 epoch"
              ] = [args.peer_python, "-c", PEER_WORD2VEC, str(corpus), str(args.window)]
        peers["tokenize bpe: tokenizers: ByteLevelBPETokenizer.train, vocab 2000"] = [
            args.peer_python, "-c", PEER_BPE, str(corpus)]
    if args.lmplz:
        # a repeated corpus has no singletons: KenLM then needs its fallback discounts,
        # which seqlab uses on its own in that case
        shell = (f"{args.lmplz} -o 5 -S 1G --discount_fallback -T {out} < {corpus} "
                 f"> {out / 'lmplz.arpa'}")
        peers["ngram: kenlm: lmplz -o 5 -S 1G --discount_fallback"] = ["/bin/sh", "-c", shell]
    return peers


def selected(name: str, only: str | None) -> bool:
    """Whether --only (comma-separated substrings) picks this command."""
    return not only or any(part and part in name for part in only.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--source", type=Path, default=Path(DEFAULT_SOURCE))
    parser.add_argument("--corpus", type=Path, help="measure on this file instead of --source "
                        "repeated to --mb MB")
    parser.add_argument("--val-fraction", type=float, default=0.1,
                        help="train's held-out share (its final validation pass is timed too)")
    parser.add_argument("--window", type=int, default=5, help="word2vec window (both)")
    parser.add_argument("--baseline", type=Path, help="root of another seqlab checkout")
    add_peer_python(parser, "gensim and tokenizers")
    parser.add_argument("--lmplz", help="path to KenLM's lmplz")
    parser.add_argument("--only", help="run only commands whose name contains one of these "
                        "comma-separated strings (peers included)")
    args = parser.parse_args()

    folder = Path(tempfile.gettempdir()) / "seqlab-bench"
    folder.mkdir(exist_ok=True)
    corpus = args.corpus or make_corpus(args.source, args.mb, folder)
    print_machine_report()
    print(f"corpus {corpus} ({corpus.stat().st_size / 2**20:.0f} MB); CPU {cpu_model()}; "
          f"load average {load_average():.1f}", flush=True)
    env = dict(os.environ, NO_COLOR="1")
    rows = []
    runs = [("seqlab", env, True)]
    if args.baseline:
        base_env = dict(env, PYTHONPATH=source_pythonpath(args.baseline))
        runs.append(("baseline", base_env, False))
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        out = Path(scratch)
        for label, run_env, new in runs:
            commands = seqlab_commands(corpus, out / label, new, args.val_fraction, args.window)
            (out / label).mkdir()
            for name, command in commands.items():
                if selected(name, args.only):
                    result = measure([sys.executable, "-m", "seqlab.cli", *command], run_env)
                    rows.append((label, name, result))
                    print(json.dumps({"who": label, "command": name, **result}), flush=True)
        for name, command in peer_commands(args, corpus, out).items():
            if selected(name, args.only):
                _, who, what = name.split(": ", 2)
                result = measure(command, env)
                rows.append((who, what, result))
                print(json.dumps({"who": who, "command": what, **result}), flush=True)
    print("\n| who | command | wall s | peak RSS MB | load average | CPU s |\n"
          "|---|---|---|---|---|---|")
    for who, name, result in rows:
        status = "" if result["rc"] == 0 else f" (exit {result['rc']})"
        load = "-".join(f"{value:.1f}" for value in result["load"])
        print(f"| {who} | {name}{status} | {result['seconds']:.1f} | {result['peak_mb']:.0f} | "
              f"{load} | {result['cpu_seconds']:.1f} |")


if __name__ == "__main__":
    main()
