"""word2vec: seqlab vs gensim on the same corpus, throughput and quality side by side.

Corpus (707k tokens): gensim's shortened enwiki dump (WikiCorpus tokenization) + lee_background.cor
+ tinyshakespeare, lowercase words (gensim.utils.simple_preprocess), sentences cut at 10000 words.
gensim is a dependency of seqlab-nlp, so both run in this one process, interleaved run by run.

    uv run python benchmarks/word2vec.py [--runs 5] [--seeds 3] [--corpus tinyshakespeare.txt]
"""

import argparse
import statistics
from pathlib import Path

import gensim.models
from bench_common import (
    alternate_rounds,
    median,
    print_machine_report,
    ratio_of_medians,
    wall_and_cpu,
)
from gensim.corpora.wikicorpus import WikiCorpus
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

from seqlab.nlp.word2vec import Word2Vec

WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
MAX_SENTENCE = 10000
SETTINGS = {
    "vector_size": 100,
    "window": 5,
    "min_count": 5,
    "sample": 1e-3,
    "negative": 5,
    "epochs": 5,
}


def build_corpus(shakespeare: Path) -> list[list[str]]:
    """The issue's benchmark corpus as token lists."""
    wiki = WikiCorpus(datapath(WIKI_DUMP), dictionary={}, processes=1)
    sentences = []
    for article in wiki.get_texts():
        sentences.extend(
            article[i : i + MAX_SENTENCE] for i in range(0, len(article), MAX_SENTENCE)
        )
    for path in (Path(datapath("lee_background.cor")), shakespeare):
        with open(path, encoding="utf8") as lines:
            sentences.extend(tokens for line in lines if (tokens := simple_preprocess(line)))
    return sentences


def time_training(library: str, sentences, sg: int, workers: int, seed: int = 1):
    """Build the vocabulary (untimed), then train; returns (effective words per wall second,
    per CPU second of this process, model)."""
    if library == "gensim":
        model = gensim.models.Word2Vec(sg=sg, workers=workers, seed=seed, **SETTINGS)
    else:
        model = Word2Vec(sg=sg, workers=workers, seed=seed, **SETTINGS)
    model.build_vocab(sentences)
    wall, cpu, (effective, _) = wall_and_cpu(lambda: model.train(
        sentences, total_examples=model.corpus_count, epochs=model.epochs))
    return effective / wall, effective / cpu, model


def quality(model) -> tuple[float, float]:
    """Spearman correlation on WordSim-353 and SimLex-999."""
    wordsim = model.wv.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]
    simlex = model.wv.evaluate_word_pairs(datapath("simlex999.txt"))[1][0]
    return float(wordsim), float(simlex)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--corpus", type=Path, default=Path("/work/shared/data/tinyshakespeare.txt")
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per library and setting")
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the quality comparison")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--modes", default="sg,cbow", help="sg and/or cbow")
    args = parser.parse_args()

    print_machine_report()
    print(f"gensim {gensim.__version__}")
    sentences = build_corpus(args.corpus)
    print(f"corpus: {len(sentences)} sentences, {sum(map(len, sentences))} tokens")
    Word2Vec(sentences[:20], min_count=1, epochs=1, workers=1)  # load / compile the kernels

    print(f"\nthroughput, effective words/s, median of {args.runs} interleaved runs")
    print(f"{'mode':6} {'workers':>7} {'gensim':>10} {'seqlab':>10} {'ratio':>7} {'cpu ratio':>9}")
    for mode in args.modes.split(","):
        sg = 1 if mode == "sg" else 0
        for workers in (int(w) for w in args.workers.split(",")):
            speeds = alternate_rounds(args.runs, ("gensim", "seqlab"), lambda library, sg=sg,
                                      workers=workers: time_training(library, sentences, sg,
                                                                     workers)[:2])
            theirs, ours = (median(s[0] for s in speeds[k]) for k in ("gensim", "seqlab"))
            cpu_ratio = ratio_of_medians((s[1] for s in speeds["seqlab"]),
                                         (s[1] for s in speeds["gensim"]))
            print(
                f"{mode:6} {workers:>7} {theirs / 1e3:>9.0f}k {ours / 1e3:>9.0f}k "
                f"{ours / theirs:>7.2f} {cpu_ratio:>9.2f}"
            )

    print(f"\nquality (sg, 1 worker), Spearman, mean over {args.seeds} seeds")
    scores = {"gensim": [], "seqlab": []}
    for seed in range(1, args.seeds + 1):
        for library in ("gensim", "seqlab"):
            scores[library].append(quality(time_training(library, sentences, 1, 1, seed)[2]))
    print(f"{'':12} {'WordSim-353':>12} {'SimLex-999':>12}")
    for library, values in scores.items():
        wordsim = statistics.mean(v[0] for v in values)
        simlex = statistics.mean(v[1] for v in values)
        spread = statistics.pstdev(v[0] for v in values)
        print(f"{library:12} {wordsim:>8.3f}±{spread:.3f} {simlex:>12.3f}")


if __name__ == "__main__":
    main()
