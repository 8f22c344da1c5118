"""Kneser-Ney 3-grams: seqlab vs KenLM (lmplz + kenlm module) vs NLTK KneserNeyInterpolated.

Data (the issue's setup): tinyshakespeare, lines 1-36000 train / the rest test, lowercased
tokens `\\w+(?:'\\w+)?|[^\\w\\s]`, empty lines skipped, words seen once in training -> <unk>.
lmplz refuses a literal <unk> in its input, so it gets those words as one ordinary placeholder
token (test words outside the kept vocabulary become that token as well).

    uv run python benchmarks/ngram.py [--corpus PATH] [--peer-python PY] [--lmplz PATH]

The peer parts (kenlm, nltk) run in a subprocess of --peer-python (default $SEQLAB_PEER_PYTHON);
lmplz comes from --lmplz (default $SEQLAB_LMPLZ, then PATH). Missing peers are skipped.
Times are medians of --repeats runs; the machine is shared, so read the ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench_common import add_peer_python, median_time, print_machine_report, run_json_worker

DEFAULT_CORPUS = "/work/shared/data/tinyshakespeare.txt"
TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
PLACEHOLDER = "UNKWORD"  # uppercase: cannot collide with the lowercased tokens
N_TRAIN_LINES = 36000
NLTK_SAMPLE = 300  # NLTK scores ~30 ms per n-gram: time a sample, not the whole test set


def prepare(corpus: Path, folder: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Tokenise the split; write placeholder-mapped train/test text files for the peers."""
    lines = corpus.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    def tokenize(part):
        return [tokens for tokens in (TOKEN.findall(line.lower()) for line in part) if tokens]

    train, test = tokenize(lines[:N_TRAIN_LINES]), tokenize(lines[N_TRAIN_LINES:])
    counts = Counter(word for sentence in train for word in sentence)

    def mapped(sentences):
        return "".join(
            " ".join(w if counts[w] >= 2 else PLACEHOLDER for w in s) + "\n" for s in sentences
        )

    (folder / "train.txt").write_text(mapped(train), encoding="utf-8")
    (folder / "test.txt").write_text(mapped(test), encoding="utf-8")
    return train, test


def bench_seqlab(train, test, folder: Path, repeats: int) -> dict:
    from seqlab.nlp.ngram import KneserNey

    KneserNey(3, unk_cutoff=2).fit(train[:50]).perplexity(test[:5])  # JIT / cache warm-up
    fit_s, model = median_time(lambda: KneserNey(3, unk_cutoff=2).fit(train), repeats)
    score_s, ppl = median_time(lambda: model.perplexity(test), repeats)
    n_scored = sum(len(s) + 1 for s in test)
    sample = []
    for sentence in test:
        padded = ["<s>", *sentence, "</s>"]
        sample += [(padded[max(i - 2, 0) : i], padded[i]) for i in range(1, len(padded))]
    sample = sample[:NLTK_SAMPLE]
    single_s, _ = median_time(lambda: [model.logprob(w, c) for c, w in sample], repeats)
    placeholder_model = KneserNey(3).fit(
        [line.split() for line in (folder / "train.txt").read_text().splitlines()])
    placeholder_ppl = placeholder_model.perplexity(
        [line.split() for line in (folder / "test.txt").read_text().splitlines()])
    return {"fit_s": fit_s, "perplexity": ppl, "score_per_ngram_s": score_s / n_scored,
            "logprob_call_s": single_s / len(sample), "n_scored": n_scored,
            "perplexity_placeholder_text": placeholder_ppl, "discounts": model.discounts}


def bench_lmplz(lmplz: str, folder: Path, repeats: int) -> dict:
    def train():
        with open(folder / "train.txt") as text, open(folder / "lmplz.arpa", "w") as out:
            subprocess.run([lmplz, "-o", "3", "-S", "200M", "-T", str(folder)], stdin=text,
                           stdout=out, stderr=subprocess.DEVNULL, check=True)

    fit_s, _ = median_time(train, repeats)
    return {"fit_s": fit_s}


PEER_KENLM = """
import json, sys, time, kenlm
folder = sys.argv[1]
model = kenlm.Model(folder + "/lmplz.arpa")
lines = open(folder + "/test.txt").read().splitlines()
start = time.perf_counter()
total = sum(model.score(line, bos=True, eos=True) for line in lines)
elapsed = time.perf_counter() - start
words = sum(len(line.split()) + 1 for line in lines)
print(json.dumps({"perplexity": 10 ** (-total / words), "score_per_ngram_s": elapsed / words}))
"""

PEER_NLTK = """
import json, sys, time
from collections import Counter
from nltk.lm import KneserNeyInterpolated, Vocabulary
from nltk.lm.preprocessing import padded_everygram_pipeline
folder, sample_size = sys.argv[1], int(sys.argv[2])
train = [line.split() for line in open(folder + "/train.txt").read().splitlines()]
test = [line.split() for line in open(folder + "/test.txt").read().splitlines()]
start = time.perf_counter()
ngrams, words = padded_everygram_pipeline(3, train)
model = KneserNeyInterpolated(3)
model.fit(ngrams, words)
fit_s = time.perf_counter() - start
sample = []
for sentence in test:
    padded = ["<s>", "<s>", *sentence, "</s>"]
    sample += [(padded[i - 2:i], padded[i]) for i in range(2, len(padded))]
sample = sample[:sample_size]
start = time.perf_counter()
for context, word in sample:
    model.logscore(word, context)
score_s = (time.perf_counter() - start) / len(sample)
print(json.dumps({"fit_s": fit_s, "score_per_ngram_s": score_s, "sample": len(sample)}))
"""


def run_peer(python: str, script: str, *args: str) -> dict:
    """`script` under the peer's `python`: the JSON line it printed last."""
    return run_json_worker([python, "-c", script, *args], label="peer script")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(DEFAULT_CORPUS))
    add_peer_python(parser, "kenlm and nltk")
    parser.add_argument("--lmplz", default=os.environ.get("SEQLAB_LMPLZ") or shutil.which("lmplz"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-nltk", action="store_true", help="NLTK takes ~15 s")
    args = parser.parse_args()
    if not args.corpus.is_file():
        sys.exit(f"corpus not found: {args.corpus} (pass --corpus PATH)")

    print_machine_report()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, test = prepare(args.corpus, folder)
        print(f"train {len(train)} sentences / {sum(map(len, train))} tokens, "
              f"test {len(test)} sentences; KN 3-grams, words seen once -> <unk>")
        ours = bench_seqlab(train, test, folder, args.repeats)
        kenlm = nltk = None
        if args.lmplz:
            kenlm = bench_lmplz(args.lmplz, folder, args.repeats)
            if args.peer_python:
                kenlm |= run_peer(args.peer_python, PEER_KENLM, str(folder))
        else:
            print("lmplz: skipped (pass --lmplz or set SEQLAB_LMPLZ)")
        if args.peer_python and not args.skip_nltk:
            nltk = run_peer(args.peer_python, PEER_NLTK, str(folder), str(NLTK_SAMPLE))
        elif not args.peer_python:
            print("kenlm module / NLTK: skipped (pass --peer-python or set SEQLAB_PEER_PYTHON)")

    print(f"\n{'':22}{'fit s':>10}{'perplexity':>12}{'score µs/ngram':>16}")
    print(f"{'seqlab KneserNey':22}{ours['fit_s']:>10.3f}{ours['perplexity']:>12.4f}"
          f"{ours['score_per_ngram_s'] * 1e6:>16.3f}")
    if kenlm:
        ppl = f"{kenlm['perplexity']:>12.4f}" if "perplexity" in kenlm else f"{'-':>12}"
        speed = (f"{kenlm['score_per_ngram_s'] * 1e6:>16.3f}" if "score_per_ngram_s" in kenlm
                 else f"{'-':>16}")
        print(f"{'KenLM lmplz + kenlm':22}{kenlm['fit_s']:>10.3f}{ppl}{speed}")
    if nltk:
        print(f"{'NLTK KN-Interpolated':22}{nltk['fit_s']:>10.3f}{'-':>12}"
              f"{nltk['score_per_ngram_s'] * 1e6:>16.1f}  (on {nltk['sample']} n-grams)")
    print(f"\nseqlab on lmplz's placeholder text: perplexity "
          f"{ours['perplexity_placeholder_text']:.5f}; logprob() call: "
          f"{ours['logprob_call_s'] * 1e6:.1f} µs; discounts {ours['discounts']}")
    if kenlm:
        print(f"fit: lmplz / seqlab = {kenlm['fit_s'] / ours['fit_s']:.2f}x "
              "(target: seqlab within 3x of lmplz, i.e. >= 0.33)")
        if "perplexity" in kenlm:
            print(f"perplexity: seqlab {ours['perplexity']:#.4g} vs KenLM "
                  f"{kenlm['perplexity']:#.4g} (target: equal to 4 significant digits)")
    if nltk:
        print(f"fit: NLTK / seqlab = {nltk['fit_s'] / ours['fit_s']:.1f}x (target >= 20x)")
        print(f"score: NLTK / seqlab = "
              f"{nltk['score_per_ngram_s'] / ours['score_per_ngram_s']:.0f}x per n-gram "
              f"(target >= 1000x); per logprob() call "
              f"{nltk['score_per_ngram_s'] / ours['logprob_call_s']:.0f}x")


if __name__ == "__main__":
    main()
