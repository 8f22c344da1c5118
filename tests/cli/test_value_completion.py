"""Shell completion offers the values of options that take one of a few words (`--cell
<TAB>`, `--level <TAB>`), not only the option names (QA stop 19, finding 11); and a flag's
help row shows no `<bool>` value it does not take (`--install-completion`, `--json`)."""

from __future__ import annotations

import pytest
from inprocess import invoke


def _complete(monkeypatch, words: str) -> list[str]:
    """What bash completion offers for the command line `words` (its last word being typed)."""
    parts = words.split(" ")
    monkeypatch.setenv("_SEQLAB_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(parts) - 1))
    done = invoke()
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("words, offered", [
    ("seqlab train --cell ", ["lstm", "gru", "rnn"]),
    ("seqlab train --cell g", ["gru"]),
    ("seqlab train --level ", ["char", "word", "bpe"]),
    ("seqlab ngram train --level ", ["word", "whitespace", "char"]),
    ("seqlab gradients --cell ", ["rnn", "lstm", "gru", "all"]),
    ("seqlab ngram train --smoothing k", ["kneser-ney"]),
    ("seqlab seq2seq train --attention ", ["dot", "general", "additive"]),
    ("seqlab forecast train --transform ", ["none", "difference", "detrend"]),
    ("seqlab classify train --pooling ", ["last", "mean", "max"]),
    ("seqlab word2vec train --corpus ", ["lee", "wiki", "polarity"]),
    ("seqlab --errors ", ["strict", "replace", "ignore"]),
    ("seqlab forecast train --series ", ["sunspots", "co2"]),  # review3 item 8
    ("seqlab forecast predict --series c", ["co2"]),
    ("seqlab forecast eval --series ", ["sunspots", "co2"]),
    ("seqlab inspect --gate ", ["i", "f", "g", "o"]),  # no MODEL: the default char LSTM's
])
def test_option_values_complete(monkeypatch, words, offered):
    assert sorted(_complete(monkeypatch, words)) == sorted(offered)


@pytest.mark.parametrize("command", [[], ["train"], ["tokenize", "encode"]])
def test_flags_show_no_value(command):
    done = invoke(*command, "--help")
    assert done.returncode == 0 and "--help" in done.stdout
    assert "<bool>" not in done.stdout, done.stdout


def test_the_completed_values_are_the_ones_the_commands_accept():
    from seqlab.cli import option_values as table
    from seqlab.cli.classify_run import MONITORS
    from seqlab.cli.commands import classify, forecast, gradients, ngram, seq2seq, train
    from seqlab.cli.inputs import DECODE_ERRORS, TEXT_CORPORA
    from seqlab.cli.tokenizer_choice import LEVELS

    values = table.VALUES
    assert values["--cell"] == train.CELLS == classify.CELLS == forecast.CELLS == seq2seq.CELLS
    assert values["--level"] == LEVELS == classify.LEVELS
    assert values["--pooling"] == classify.POOLINGS
    assert values["--monitor"] == tuple(MONITORS)
    assert values["--transform"] == forecast.TRANSFORMS
    assert values["--smoothing"] == ngram.SMOOTHING
    assert values["--errors"] == DECODE_ERRORS
    from seqlab.seqmodels.inspection.kinds import KINDS
    from seqlab.seqmodels.regressor import SERIES

    assert tuple(SERIES) == table.FORECAST_SERIES
    assert {cell: KINDS[cell].gate_names for cell in ("lstm", "gru")} == table.GATES
    assert table.COMMAND_VALUES["gradients", "--cell"] == tuple(gradients.CELL_CHOICES)
    assert table.COMMAND_VALUES["train", "--corpus"] == TEXT_CORPORA


@pytest.mark.parametrize("words, offered", [
    ("seqlab tokenize export --format ", ["hf"]),
    ("seqlab train --clip ", ["none", "off", "inf"]),
    ("seqlab seq2seq train --clip n", ["none"]),
])
def test_format_and_clip_values_complete(monkeypatch, words, offered):
    """QA stop 20, fixQ2 item 6: `tokenize export --format` and `--clip` completed nothing."""
    from seqlab.cli import option_values as table
    from seqlab.cli.clip_option import OFF_WORDS
    from seqlab.cli.commands.tokenize_export import FORMATS

    assert sorted(_complete(monkeypatch, words)) == sorted(offered)
    assert table.VALUES["--clip"] == (*OFF_WORDS, "inf")
    assert table.COMMAND_VALUES["tokenize export", "--format"] == FORMATS


def test_gates_complete_for_the_model_given(monkeypatch, tmp_path):
    """`inspect MODEL --gate <TAB>` offers the gates of MODEL's cell (review3 item 8)."""
    model = tmp_path / "gru.safetensors"
    (tmp_path / "text.txt").write_text("the cat sat on the mat\n" * 5)
    done = invoke("train", tmp_path / "text.txt", "--cell", "gru", "--hidden", "8",
                  "--steps", "1", "--seq-len", "8", "--batch-size", "2", "--threads", "1",
                  "--out", model, "-q")
    assert done.returncode == 0, done.stderr
    assert sorted(_complete(monkeypatch, f"seqlab inspect {model} --gate ")) == ["n", "r", "z"]
    offered = _complete(monkeypatch, f"seqlab inspect {tmp_path / 'text.txt'} --gate ")
    assert sorted(offered) == sorted("ifgorzn")  # not a model: every cell's gates
