"""Held-out G2P error rates against wall-clock minutes, from the checkpoints of one training run.

`seqlab seq2seq train` writes NAME.checkpoints/step-N.safetensors every --checkpoint-every steps
(and keeps the last few); copy them aside while the run goes, then score each one here on the
held-out CMUdict words (every --every-th word, greedy or --beam K), with the minute it was written
taken from the run's metrics log (the `elapsed` of its step):

    uv run python benchmarks/g2p_curve.py /work/g2p_run/full/curve \
        /work/g2p_run/full/g2p.metrics.jsonl --every 4

Prints a Markdown table: step, minutes, WER and PER without stress, WER and PER with stress.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from bench_common import print_machine_report

from seqlab.cli.seq2seq_training import g2p_pairs
from seqlab.nlp.tokenizers import Tokenizer
from seqlab.seqmodels.seq2seq.scoring import g2p_scores
from seqlab.seqmodels.seq2seq.translate import Translator, load_seq2seq


def minutes_by_step(metrics: Path) -> dict[int, float]:
    """The run's elapsed minutes at each logged step."""
    found = {}
    with metrics.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if "elapsed" in row:
                found[int(row["step"])] = float(row["elapsed"]) / 60
    return found


def score(path: Path, words: dict[str, list[str]], beam: int) -> dict[str, float]:
    """g2p_scores of one checkpoint on the held-out words."""
    model, tokenizers, _ = load_seq2seq(path)
    source = Tokenizer.from_dict(tokenizers["source"])
    target = Tokenizer.from_dict(tokenizers["target"])
    translator = Translator(model, source, target, beam=beam)
    hypotheses = [[target.id_to_token(int(i)) for i in found[0].tokens]
                  for _, found in translator.stream(list(words), batch_size=64)]
    references = [[[target.id_to_token(int(i)) for i in target.encode(r)] for r in refs]
                  for refs in words.values()]
    return g2p_scores(hypotheses, references)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", type=Path, help="folder of step-N.safetensors files")
    parser.add_argument("metrics", type=Path, help="the run's NAME.metrics.jsonl")
    parser.add_argument("--every", type=int, default=1, help="score every k-th held-out word")
    parser.add_argument("--beam", type=int, default=1)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    references: dict[str, list[str]] = {}
    for word, phonemes in g2p_pairs()[1]:
        references.setdefault(word, []).append(phonemes)
    words = {w: references[w] for w in list(references)[:: args.every]}
    minutes = minutes_by_step(args.metrics)
    paths = sorted(args.checkpoints.glob("step-*.safetensors"))
    paths = [p for p in paths if not p.name.endswith(".train.safetensors")]
    print(f"{len(words)} held-out words, beam {args.beam}")
    print("| step | minutes | WER | PER | WER with stress | PER with stress |")
    print("|---|---|---|---|---|---|")
    for path in paths:
        step = int(re.findall(r"\d+", path.name)[0])
        found = score(path, words, args.beam)
        at = minutes.get(step)
        print(f"| {step} | {'?' if at is None else f'{at:.1f}'} | {100 * found['wer']:.1f}% | "
              f"{100 * found['per']:.1f}% | {100 * found['wer_stress']:.1f}% | "
              f"{100 * found['per_stress']:.1f}% |", flush=True)


if __name__ == "__main__":
    main()
