"""Word tokenizing speed: seqlab's default pattern (grapheme clusters whole, format characters
dropped: `regex`, and `re` for ASCII text), the one before it that keeps combining marks
(`regex`/`re`), the one before that (`re`), and NLTK's wordpunct_tokenize (the peer).

Run by hand:  uv run python benchmarks/word_tokenizer.py --peer-python /work/peers/bin/python
Each (text, variant) runs in its own process, the variants alternating, --rounds times; each
process tokenizes the whole text 3 times and reports the median wall and CPU (user+sys) time.
Prints medians over rounds and ratios to the former pattern (above 1: slower than before).
Texts: tinyshakespeare (ASCII), the same with curly apostrophes (one non-ASCII character sends
a whole text to `regex`), a mixed Hindi / Arabic / French / German text, and the same with
emoji (ZWJ sequences, skin tones, flags) and ZWSP.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SHAKESPEARE = Path("/work/shared/data/tinyshakespeare.txt")
MIXED = ("हिन्दी विश्व की एक प्रमुख भाषा है और भारत की राजभाषा है। "
         "اَللُّغَةُ الْعَرَبِيَّةُ هِيَ أَكْثَرُ اللُّغَاتِ السَّامِيَّةِ تَحَدُّثًا. "
         "Le café était fermé, mais l'hôtel d'à côté servait un thé glacé. "
         "Die Größe der Städte wächst, während Dörfer schrumpfen.\n")


EMOJI = ("family \U0001F468\u200d\U0001F469\u200d\U0001F467 thumbs \U0001F44D\U0001F3FD "
         "flag \U0001F1EB\U0001F1F7 zero\u200bwidth!\n")


def texts() -> dict[str, str]:
    english = SHAKESPEARE.read_text(encoding="utf-8")
    return {"english_ascii": english, "english_curly": english.replace("'", "\u2019"),
            "mixed_scripts": MIXED * (len(english) // len(MIXED)),
            "mixed_emoji": (MIXED + EMOJI) * (len(english) // len(MIXED + EMOJI))}


def worker(variant: str, name: str) -> None:
    text = texts()[name]
    if variant == "nltk":
        from nltk.tokenize import wordpunct_tokenize as tokenize
    else:
        from seqlab.nlp.tokenizers.word import (
            DEFAULT_PATTERN,
            PATTERN_BEFORE_MARKS,
            PATTERN_MARKS,
            WordTokenizer,
        )

        pattern = {"seqlab_graphemes": DEFAULT_PATTERN, "seqlab_marks": PATTERN_MARKS,
                   "seqlab_before": PATTERN_BEFORE_MARKS}[variant]
        tokenize = WordTokenizer(pattern=pattern).tokenize
    walls, cpus, count = [], [], 0
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        count = len(tokenize(text))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(json.dumps({"wall": statistics.median(walls), "cpu": statistics.median(cpus),
                      "tokens": count, "characters": len(text)}))


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default="/work/peers/bin/python")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--role", nargs=2, metavar=("VARIANT", "TEXT"))
    args = parser.parse_args()
    if args.role:
        worker(*args.role)
        return
    flags = Path("/proc/cpuinfo").read_text()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "other"
    print(f"CPU {_cpu()}, {isa}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
          f"load {Path('/proc/loadavg').read_text().split()[:3]} (BLAS not used)")
    pythons = {"seqlab_before": sys.executable, "seqlab_marks": sys.executable,
               "seqlab_graphemes": sys.executable, "nltk": args.peer_python}
    for name in texts():
        results: dict[str, list[dict]] = {variant: [] for variant in pythons}
        for _ in range(args.rounds):
            for variant, python in pythons.items():
                done = subprocess.run([python, __file__, "--role", variant, name],
                                      capture_output=True, text=True, check=True)
                results[variant].append(json.loads(done.stdout))
        before = {key: statistics.median(r[key] for r in results["seqlab_before"])
                  for key in ("wall", "cpu")}
        for variant, runs in results.items():
            wall = statistics.median(r["wall"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            print(f"{name:14s} {variant:16s} {runs[0]['tokens']:>9,} tokens  wall {wall:.3f} s "
                  f"cpu {cpu:.3f} s  ratio to before: wall {wall / before['wall']:.2f} "
                  f"cpu {cpu / before['cpu']:.2f}")
    print(f"load after {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
