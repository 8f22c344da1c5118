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
