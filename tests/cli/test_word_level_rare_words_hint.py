"""`seqlab train --level word` on text without spaces between words (Chinese, Japanese,
Thai) makes whole phrases words, nearly all seen once: a one-line hint names --level char or
bpe (qaC stop 21, finding 11)."""

from __future__ import annotations

import random

from inprocess import invoke

from seqlab.cli.lm_text import rare_words_hint
from seqlab.nlp.tokenizers import WordTokenizer


def _phrases(count: int) -> str:
    rng = random.Random(0)
    return "".join("".join(rng.choice("的一是不了人我在有他这中大来上") for _ in range(6)) + "。\n"
                   for _ in range(count))


def test_phrases_without_spaces_get_the_hint_and_english_does_not():
    assert "--level char or bpe" in rare_words_hint(WordTokenizer.train(_phrases(600)))
    english = ("the cat sat on the mat and the dog sat on the cat . " * 60 +
               " ".join(f"w{i}" for i in range(100)))
    assert rare_words_hint(WordTokenizer.train(english)) is None
    assert rare_words_hint(WordTokenizer.train("one-off words only")) is None  # too few


def test_seqlab_train_prints_it(tmp_path):
    (tmp_path / "zh.txt").write_text(_phrases(600), encoding="utf-8")
    done = invoke("train", tmp_path / "zh.txt", "--level", "word", "--steps", "1",
                  "--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size", "2",
                  "--out", tmp_path / "m.safetensors")
    assert done.returncode == 0, done.stderr
    assert sum("--level char or bpe" in line for line in done.stderr.splitlines()) == 1
