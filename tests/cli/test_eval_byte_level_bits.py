"""`eval` of a byte-level char model (review3 s20 LOW 2): its tokens are bytes, so its bits per
token are bits per byte; the bits per character spread the text's bits over the predicted
characters (every character after the first), as the char-level figure does."""

from __future__ import annotations

import json
import math

import pytest

from seqlab.cli.loss_display import loss_text
from seqlab.nlp.tokenizers import CharTokenizer
from seqlab.seqmodels import LanguageModel
from seqlab.seqmodels.checkpoint import save_checkpoint
from tests.cli.inprocess import invoke


def test_byte_level_bits_per_character_count_characters(tmp_path):
    tokenizer = CharTokenizer(byte_level=True)
    model = tmp_path / "bytes.safetensors"
    save_checkpoint(model, LanguageModel(tokenizer.vocab_size, 4, 4, generator=0),
                    tokenizer=tokenizer.to_dict())
    text = "καλημέρα κόσμε " * 4
    corpus = tmp_path / "greek.txt"
    corpus.write_text(text, encoding="utf-8")
    done = invoke("eval", model, corpus, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tokens"] == len(text.encode("utf-8")) - 1  # every byte after the first
    bits = report["loss"] * report["tokens"] / math.log(2)
    assert report["bits_per_token"] == pytest.approx(bits / report["tokens"])
    assert report["bits_per_char"] == pytest.approx(bits / (len(text) - 1))
    plain = invoke("eval", model, corpus).stdout
    assert "bits per byte" in plain and \
        f"{loss_text(report['bits_per_char'])} bits per character" in plain
