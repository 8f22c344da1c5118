"""A/B of the streamed corpus readers of two source trees, alternating in one run: seconds of
wall and CPU to read a corpus through `iter_pieces` (the tokenizer-safe pieces that train's id
cache, eval and tokenize train read), `iter_lines`, `TokenizedLines`
(sentences split on white space), n-gram counting's `file_sentences` ("ngram") and word2vec's
10,000-token sentences ("w2v"), each in a fresh process.

    uv run python benchmarks/streamed_readers_ab.py --baseline-src /tmp/base \\
        --corpus /work/shared/data/tinyshakespeare.txt --copies 45 --rounds 3 [--crlf]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_common import print_machine_report
from tree_ab import ab_line, alternate, run_in_tree

READ = """
import json, sys, time
from seqlab.nlp.corpora import TokenizedLines, iter_lines, iter_pieces
path, reader = sys.argv[1], sys.argv[2]
wall, cpu = time.perf_counter(), time.process_time()
if reader == "pieces":
    count = sum(len(piece) for piece in iter_pieces(path))
elif reader == "lines":
    count = sum(1 for _ in iter_lines(path))
elif reader == "ngram":  # n-gram counting's sentences (whitespace tokens)
    from seqlab.nlp.ngram.sentences import LineTokens, file_sentences
    count = sum(len(tokens) for tokens in file_sentences([path], LineTokens("whitespace")))
elif reader == "w2v":  # word2vec's sentences (10,000-token cut where the tree has it)
    import inspect
    cut = "max_sentence_length" in inspect.signature(TokenizedLines).parameters
    lines = TokenizedLines(path, str.split, **({"max_sentence_length": 10000} if cut else {}))
    count = sum(len(tokens) for tokens in lines)
else:
    count = sum(len(tokens) for tokens in TokenizedLines(path, str.split))
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "count": count}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=45)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--crlf", action="store_true", help="with \\r\\n line ends")
    args = parser.parse_args()
    print_machine_report(isolated=True)
    trees = {"before": args.baseline_src, "after": Path(__file__).resolve().parents[1]}
    text = args.corpus.read_bytes()
    if args.crlf:
        text = text.replace(b"\n", b"\r\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.txt"
        path.write_bytes(text * args.copies)
        print(f"{path.stat().st_size / 1e6:.1f} MB ({'CRLF' if args.crlf else 'LF'}), "
              f"{args.rounds} rounds, trees alternated")
        for reader in ("pieces", "lines", "sentences", "ngram", "w2v"):
            medians, counts = alternate(
                trees, args.rounds, lambda tree, reader=reader: run_in_tree(tree, READ, str(path),
                                                                           reader))
            print(ab_line(f"{reader:9}", medians, counts))


if __name__ == "__main__":
    main()
