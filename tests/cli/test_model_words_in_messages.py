"""Messages name models and options as the user knows them ("a forecaster", "--min-count"),
never as Python classes or keyword arguments, and a vectors command given another kind of
seqlab file says what it is instead of printing the file's first bytes."""

from __future__ import annotations

import re

import pytest
from inprocess import assert_one_line_failure, invoke

TEXT = "to be or not to be that is the question\n" * 4
PYTHON_WORDS = re.compile(r"SequenceRegressor|SequenceClassifier|LanguageModel|min_count|b'")


@pytest.fixture()
def checkpoints(tmp_path):
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel, SequenceClassifier
    from seqlab.seqmodels.checkpoint import save_checkpoint
    from seqlab.seqmodels.regressor import SequenceRegressor

    tokenizer = CharTokenizer.train(TEXT).to_dict()
    size = CharTokenizer.train(TEXT).vocab_size
    return {
        "forecaster": save_checkpoint(tmp_path / "reg.safetensors", SequenceRegressor(1, 4)),
        "classifier": save_checkpoint(tmp_path / "clf.safetensors",
                                      SequenceClassifier(size, 4, 4, 2, generator=0),
                                      tokenizer=tokenizer),
        "language model": save_checkpoint(tmp_path / "lm.safetensors",
                                          LanguageModel(size, 4, 4, generator=0),
                                          tokenizer=tokenizer),
    }


def _clean(done, *words):
    assert_one_line_failure(done, *words)
    assert not PYTHON_WORDS.search(done.stderr), done.stderr


def test_model_kinds_in_words(checkpoints):
    _clean(invoke("inspect", checkpoints["forecaster"], "--text", "to be"),
           "is a forecaster", "seqlab forecast train")
    _clean(invoke("gradients", checkpoints["classifier"], "--text", "to be or not"),
           "is a classifier", "language model")
    _clean(invoke("seq2seq", "translate", checkpoints["language model"], "--text", "abc"),
           "holds a language model", "not a sequence-to-sequence")


def test_each_command_says_which_models_it_reads(checkpoints):
    """QA 21 A item 18: the forecaster refusal said gradients reads classifiers, which it
    refuses."""
    inspect = invoke("inspect", checkpoints["forecaster"], "--text", "to be")
    _clean(inspect, "inspect reads", "a language model or classifier")
    gradients = invoke("gradients", checkpoints["forecaster"], "--text", "to be")
    _clean(gradients, "is a forecaster", "gradients reads a language model")
    assert "classifier" not in gradients.stderr


def test_the_gradient_plot_legend_names_only_the_series_drawn():
    from seqlab.cli.log_plot import legend

    assert "both" not in legend({"measured": "#"})
    assert "* both" in legend({"before training": ".", "after 100 steps": "#"})


def test_vectors_commands_name_the_kind_of_file_given(checkpoints, tmp_path):
    _clean(invoke("word2vec", "similar", checkpoints["language model"], "to"),
           "is a language model", "not a vectors file")
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    arpa = tmp_path / "c.arpa"
    assert invoke("ngram", "train", corpus, "--order", "2", "--out", arpa, "-q"
                  ).returncode == 0
    _clean(invoke("word2vec", "similar", arpa, "to"), "ARPA n-gram model", "not a vectors file")


def test_word2vec_min_count_is_the_option(tmp_path):
    corpus = tmp_path / "few.txt"
    corpus.write_text("a b c\n")
    done = invoke("word2vec", "train", corpus, "--out", tmp_path / "v.txt")
    _clean(done, "--min-count 5", "3 words", "lower --min-count")

