"""`seq2seq eval` and `seq2seq train`'s held-out scores compare the model's output with the
references as written: a reference word the target vocabulary lacks is not `<unk>`, so the
model's `<unk>` never matches it (QA stop 19: BLEU 96.8 where sacreBLEU gives 12.4)."""

from __future__ import annotations

import json
import random

import pytest
from inprocess import invoke
from sacrebleu_peer import sacrebleu_scores

SOURCE_WORDS = ["the", "cat", "dog", "sat", "ran", "big", "red", "old"]


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    """A word-level model whose target vocabulary keeps 2 words of ~400 (every target word is
    new on each line): 20 steps teach it to answer `<unk> <unk>`, and every held-out
    reference is words it never saw."""
    folder = tmp_path_factory.mktemp("capped")
    rng = random.Random(0)
    lines = []
    for number in range(200):
        words = [rng.choice(SOURCE_WORDS) for _ in range(2)]
        lines.append(f"{' '.join(words)}\tA{number} B{number}\n")
    pairs = folder / "train.tsv"
    pairs.write_text("".join(lines))
    out = folder / "m.safetensors"
    done = invoke("seq2seq", "train", pairs, "--source-level", "word", "--target-level", "word",
                  "--vocab-size", "6", "--hidden", "8", "--layers", "1", "--embedding-dim", "8",
                  "--steps", "20", "--lr", "0.05", "--warmup-steps", "0", "--dropout", "0",
                  "--eval-every", "20", "--json", "--out", out)
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_held_out_references_of_unseen_words_never_match(capped):
    _, summary = capped
    # every held-out target word is outside the vocabulary: no token can match, so each
    # reference token is an error (the ids compared <unk> with <unk>: exact match 84%)
    assert summary["valid_exact_match"] == 0.0
    assert summary["valid_token_error_rate"] >= 1.0


def test_eval_scores_the_raw_references_as_sacrebleu_does(capped, tmp_path):
    model, _ = capped
    sources = ["the cat", "red dog", "old sat", "big ran", "the cat"]
    references = ["TAC, EHT!", "DER GOD.", "DLO TAS", "GIB NAR?", "tac eht"]
    test = tmp_path / "test.tsv"
    test.write_text("".join(f"{s}\t{r}\n" for s, r in zip(sources, references)))
    done = invoke("seq2seq", "eval", model, test, "--beam", "1", "--json")
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)
    distinct = list(dict.fromkeys(sources))
    translated = invoke("seq2seq", "translate", model, "--text", "\n".join(distinct))
    hypotheses = translated.stdout.splitlines()
    assert len(hypotheses) == len(distinct) and "<unk>" in hypotheses[0]
    grouped = [[r for s, r in zip(sources, references) if s == source] for source in distinct]
    assert scores["exact_match"] == 0.0 and scores["token_error_rate"] >= 1.0
    bleu, chrf = sacrebleu_scores(hypotheses, grouped)
    assert scores["bleu"] == pytest.approx(bleu, rel=1e-9, abs=1e-9)
    assert scores["chrf"] == pytest.approx(chrf, rel=1e-9, abs=1e-9)
