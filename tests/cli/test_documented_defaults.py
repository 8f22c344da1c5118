"""What the README and `--help` say of defaults and file formats is what the code does."""

from __future__ import annotations

import inspect
from pathlib import Path

from seqlab.cli.commands import seq2seq
from seqlab.cli.seq2seq_training import DEFAULTS, G2P_DEFAULTS

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _help(option: str) -> str:
    return inspect.signature(seq2seq.train).parameters[option].default.help


def test_seq2seq_train_help_gives_the_defaults_the_code_uses():
    assert f"default {DEFAULTS['hidden_size']};" in _help("hidden")
    assert f"{G2P_DEFAULTS['hidden_size']} for the embedded G2P default" in _help("hidden")
    assert f"({DEFAULTS['num_layers']}; {G2P_DEFAULTS['num_layers']} for the embedded G2P" \
        in _help("layers")
    assert f"default {DEFAULTS['dropout']};" in _help("dropout")
    assert f"{G2P_DEFAULTS['dropout']} for the embedded G2P default" in _help("dropout")


def test_the_readme_gives_the_g2p_default_model():
    text = " ".join(README.split())
    g2p, other = G2P_DEFAULTS, DEFAULTS
    assert (f"Its default model is a {g2p['num_layers']} x {g2p['hidden_size']} bi-LSTM encoder "
            f"and LSTM decoder with dropout {g2p['dropout']} (other pairs: "
            f"{other['num_layers']} x {other['hidden_size']}, dropout {other['dropout']})") in text


def test_the_readme_says_how_other_tools_read_what_seqlab_writes():
    text = " ".join(README.split())
    assert "load_word2vec_format(path, binary=True)` a binary one" in text
    assert "spells the space `▁` (U+2581)" in text  # as ngram's SPACE
    from seqlab.nlp.ngram.sentences import SPACE

    assert SPACE == "▁"
