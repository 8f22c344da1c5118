"""`eval` reports one figure per quantity under one name (qaA s20 LOW 9, LOW 10): at char
level its bits per character is the bits per token (both over the predicted characters), and
an ARPA model's JSON has the `loss` (nats per token) a neural model's has."""

from __future__ import annotations

import json
import math

import pytest

from seqlab.cli.loss_display import loss_text
from tests.cli.inprocess import invoke


def test_char_level_has_one_bits_per_character(trained_model, corpus_file):
    done = invoke("eval", trained_model, corpus_file, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["bits_per_char"] == pytest.approx(report["bits_per_token"], rel=1e-12)
    assert report["bits_per_token"] == pytest.approx(report["loss"] / math.log(2))


@pytest.mark.parametrize("command", [("eval",), ("ngram", "eval")])
def test_arpa_eval_reports_loss_in_nats(command, tmp_path, corpus_file):
    arpa = tmp_path / "m.arpa"
    trained = invoke("ngram", "train", corpus_file, "--order", "2", "--out", arpa, "-q")
    assert trained.returncode == 0, trained.stderr
    done = invoke(*command, arpa, corpus_file, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["loss"] == pytest.approx(math.log(report["perplexity"]))
    assert report["bits_per_token"] == pytest.approx(report["loss"] / math.log(2))
    text = invoke(*command, arpa, corpus_file)
    assert f"loss {loss_text(report['loss'])} nats" in text.stdout


EVAL_KEYS = {"loss", "perplexity", "bits_per_token", "bits_per_char", "tokens", "sentences",
             "unknown_tokens", "unknown_fraction", "source"}


def test_eval_json_has_one_set_of_keys_for_both_model_kinds(trained_model, tmp_path,
                                                           corpus_file):
    """qaA s22, item 12: a neural model gave unknown_fraction, bits_per_char and source, an
    ARPA file unknown_tokens and sentences. Both give the documented set (README, `eval`),
    null where a kind has no such figure."""
    arpa = tmp_path / "m.arpa"
    assert invoke("ngram", "train", corpus_file, "--order", "2", "--out", arpa,
                  "-q").returncode == 0
    for model in (trained_model, arpa):
        done = invoke("eval", model, corpus_file, "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert set(report) == EVAL_KEYS, (model, sorted(report))
        assert report["source"] == str(corpus_file)
        assert report["unknown_tokens"] == 0 and report["unknown_fraction"] == 0.0


def test_the_unknown_share_is_of_the_tokens_reported(trained_model, tmp_path):
    """qaA s22, item 14: '13 tokens of sci.txt, 64.3% unknown' was 9 of all 14 tokens, while
    13 (every token after the first) were scored. The share is now of the scored tokens: here
    the unseen first character is not scored, the unseen third one is."""
    text = tmp_path / "unseen.txt"
    text.write_text("\u20acT\u20ache")  # the model saw no euro sign
    done = invoke("eval", trained_model, text, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tokens"] == 4  # T€he: every character after the first
    assert report["unknown_tokens"] == 1
    assert report["unknown_fraction"] == pytest.approx(1 / report["tokens"])
