"""`seqlab word2vec train` beside gensim: peak resident and private memory, words/s, CPU time.

Each run is its own process, as a user runs it. Peak RSS comes from os.wait4's rusage (what
`/usr/bin/time -v` calls "Maximum resident set size"); peak private memory is the largest
`RssAnon` of /proc/PID/status sampled every 10 ms (anonymous pages: the heap, NumPy arrays,
JIT code; not the clean pages of shared libraries, which the system can drop and re-read).
Rounds alternate seqlab, the baseline checkout (--baseline ROOT, sources of another commit, e.g.
`git archive 94c8416 | tar -x -C /tmp/w2v-base`) and gensim (--peer-python), same options:
`--dim 50 --window 2 --negative 5 --min-count 5 --epochs 1 --workers 2` against
`Word2Vec(LineSentence(f), vector_size=50, window=2, min_count=5, sg=1, negative=5, workers=2)`.
Each seqlab side first trains once on the corpus's first 2 MB to fill its Numba cache.

    uv run python benchmarks/word2vec_memory.py --corpus /tmp/c50m.txt --rounds 2 \\
        --baseline /tmp/w2v-base --peer-python /work/peers/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_common import print_machine_report

sys.path.insert(0, str(Path(__file__).parent))
from peak_memory import PEER_WORD2VEC, SOURCE_DIRS, cpu_model, load_average

OPTIONS = ["--dim", "50", "--window", "2", "--negative", "5", "--min-count", "5", "--epochs",
           "1", "--workers", "2"]


def _anon_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(command: list[str], env: dict[str, str]) -> dict:
    """Run `command`: wall and CPU seconds, peak RSS and peak RssAnon (MB), last output line."""
    load = load_average()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=env, text=True)
    peak_anon = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak_anon[0] = max(peak_anon[0], _anon_kb(process.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    return {"rc": os.waitstatus_to_exitcode(status),
            "wall_s": round(time.perf_counter() - start, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_anon_mb": round(peak_anon[0] / 1024, 1), "load": round(load, 1),
            "words_per_sec": _words_per_sec(output), "tail": output.strip().splitlines()[-1:]}


def _words_per_sec(output: str) -> float | None:
    for line in reversed(output.strip().splitlines()):
        try:
            return round(json.loads(line)["words_per_sec"])
        except (ValueError, KeyError, TypeError):
            words = line.split()
            if words[:1] == ["vocabulary"] and "words/s" in words:  # the gensim script's line
                return float(words[words.index("words/s") + 1])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="root of another seqlab checkout")
    parser.add_argument("--peer-python", help="a Python with gensim")
    parser.add_argument("--skip-warmup", action="store_true")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    print(f"corpus {args.corpus} ({args.corpus.stat().st_size / 2**20:.0f} MB); "
          f"CPU {cpu_model()}", flush=True)
    env = dict(os.environ, NO_COLOR="1")
    sides = {"seqlab": env}
    if args.baseline:
        sides["baseline"] = dict(env, PYTHONPATH=os.pathsep.join(
            str(args.baseline / d) for d in SOURCE_DIRS))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if not args.skip_warmup:
            small = folder / "warm.txt"
            with open(args.corpus, "rb") as corpus:
                small.write_bytes(corpus.read(2 << 20))
            for name, side_env in sides.items():
                measure([sys.executable, "-m", "seqlab.cli", "word2vec", "train", str(small),
                         *OPTIONS, "--out", str(folder / f"warm-{name}.txt"), "--quiet"],
                        side_env)
        for round_ in range(args.rounds):
            for name, side_env in sides.items():
                result = measure([sys.executable, "-m", "seqlab.cli", "word2vec", "train",
                                  str(args.corpus), *OPTIONS, "--out",
                                  str(folder / f"{name}.txt"), "--json", "--quiet", "--force"],
                                 side_env)
                print(json.dumps({"round": round_, "who": name, **result}), flush=True)
            if args.peer_python:
                result = measure([args.peer_python, "-c", PEER_WORD2VEC, str(args.corpus), "2"],
                                 env)
                print(json.dumps({"round": round_, "who": "gensim", **result}), flush=True)


if __name__ == "__main__":
    main()
