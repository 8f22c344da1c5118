"""Every loss, bits figure and perplexity a command prints follows one rule,
`loss_display.loss_text` (3 decimals; 4 significant digits once huge), whatever the command
(leftovers s21, item 6: eval, ngram eval, info, the end-of-run chart and the divergence
warning each had their own, 2 to 4 decimals). The JSON keeps every digit."""

from __future__ import annotations

import json

from seqlab.cli.loss_display import loss_text
from tests.cli.inprocess import invoke


def test_eval_prints_loss_perplexity_and_bits_by_the_rule(trained_model, corpus_file):
    report = json.loads(invoke("eval", trained_model, corpus_file, "--json").stdout)
    text = invoke("eval", trained_model, corpus_file).stdout
    assert (f"loss {loss_text(report['loss'])} nats  perplexity "
            f"{loss_text(report['perplexity'])}  {loss_text(report['bits_per_token'])} bits "
            "per character") in text, text


def test_ngram_eval_prints_loss_perplexity_and_bits_by_the_rule(tmp_path, corpus_file):
    arpa = tmp_path / "m.arpa"
    assert invoke("ngram", "train", corpus_file, "--order", "2", "--out", arpa,
                  "-q").returncode == 0
    report = json.loads(invoke("ngram", "eval", arpa, corpus_file, "--json").stdout)
    text = invoke("ngram", "eval", arpa, corpus_file).stdout
    assert (f"loss {loss_text(report['loss'])} nats  perplexity "
            f"{loss_text(report['perplexity'])}  ({loss_text(report['bits_per_token'])} bits "
            "per token") in text, text


def test_info_prints_the_validation_losses_by_the_rule(trained_model):
    report = json.loads(invoke("info", trained_model, "--json").stdout)
    last = report["validation"]
    text = " ".join(invoke("info", trained_model).stdout.split())
    assert (f"{loss_text(last['loss'])} loss, {loss_text(last['bits_per_token'])} bits per "
            "character") in text, text
    assert loss_text(last["loss"]) in text.split("validation curve", 1)[1]


def test_the_chart_and_the_divergence_warning_print_losses_by_the_rule():
    from seqlab.cli.divergence import far_above_uniform_line
    from seqlab.cli.plot import loss_chart

    huge = 9516373723829003232477184.0
    chart = loss_chart([2.34567, huge], [])
    assert f"2.346 -> {loss_text(huge)}" in chart, chart
    line = far_above_uniform_line(12.34567, 20, "tokens", 0.1)
    assert "12.346 nats" in line and "(ln 20 = 2.996)" in line, line
