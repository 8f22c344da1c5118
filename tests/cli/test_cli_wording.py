"""CLI messages name CLI options and the file at fault, never the Python API."""

from __future__ import annotations

import pytest
from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke

API_WORDS = ("binary=True", "save()", "training=False", "seqlab.autograd", "hs=1",
             "file file", "--out")


def no_api_words(done, *allowed):
    for word in API_WORDS:
        if word not in allowed:
            assert word not in done.stderr, done.stderr


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    return tmp_path


def test_positional_outputs_and_html_are_named_as_given(folder, trained_model):
    arpa = folder / "lm.arpa"
    assert invoke("ngram", "train", folder / "corpus.txt", "--out", arpa).returncode == 0
    done = invoke("ngram", "export-arpa", arpa, folder / "lm.txt")
    assert_one_line_failure(done, "OUT", "the name of an ARPA file", code=2)
    no_api_words(done)
    done = invoke("ngram", "export-arpa", arpa, arpa)
    assert_one_line_failure(done, "choose another OUT")
    no_api_words(done)
    done = invoke("word2vec", "export", folder / "corpus.txt", folder / "v.csv")
    assert_one_line_failure(done, "the name of a word2vec vectors file", code=2)
    no_api_words(done)
    notes = folder / "notes.html"
    notes.write_text("<p>mine</p>")
    done = invoke("inspect", trained_model, "--html", notes)
    assert_one_line_failure(done, "choose another --html", "--force")
    no_api_words(done)
    assert "Overwrite --out" not in invoke("inspect", "--help").stdout


def test_ngram_models_given_where_a_checkpoint_is_needed(folder):
    arpa = folder / "lm.arpa"
    assert invoke("ngram", "train", folder / "corpus.txt", "--out", arpa).returncode == 0
    for args in (["inspect", arpa], ["gradients", arpa, "--text", "hi"]):
        done = invoke(*args)
        assert_one_line_failure(done, str(arpa), "ARPA n-gram model", "seqlab ngram")
        assert "header claims" not in done.stderr


def test_python_api_hints_are_not_in_cli_messages(folder):
    done = invoke("word2vec", "train", folder / "corpus.txt", "--negative", "0",
                  "--out", folder / "v.txt")
    assert_one_line_failure(done, "--negative", "--hs", code=2)
    no_api_words(done, "--out")
    sb = folder / "sb.npz"
    assert invoke("ngram", "train", folder / "corpus.txt", "--smoothing", "stupid-backoff",
                  "--out", sb).returncode == 0
    done = invoke("ngram", "export-arpa", sb, folder / "sb.arpa")
    assert_one_line_failure(done, "no ARPA form")
    no_api_words(done)
    bad = folder / "bad.txt"
    bad.write_text("not vectors at all\n")
    done = invoke("word2vec", "similar", bad, "word")
    assert_one_line_failure(done, str(bad))
    no_api_words(done)


def test_an_empty_file_to_inspect_is_named(folder, trained_model):
    empty = folder / "empty.txt"
    empty.write_text("\n")
    done = invoke("gradients", trained_model, "--file", empty)
    assert_one_line_failure(done, f"--file {empty}", "no text")


def test_resume_without_its_training_state_says_what_to_do(folder, trained_model):
    import shutil

    from seqlab.seqmodels.checkpoint import training_path

    copy = folder / "m.safetensors"
    shutil.copy(trained_model, copy)
    assert not training_path(copy).exists()
    done = invoke("train", "--resume", copy, "--steps", "20")
    assert done.returncode != 0
    no_api_words(done, "--out")


def test_classify_eval_names_the_first_unknown_label_in_file_order(folder):
    words = ["good", "bad", "fine", "ok"]
    rows = [f"{'pos' if i % 2 else 'neg'},{words[i % 4]} {words[(i + 1) % 4]}" for i in range(40)]
    (folder / "train.csv").write_text("label,text\n" + "\n".join(rows) + "\n")
    model = folder / "c.safetensors"
    trained = invoke("classify", "train", folder / "train.csv", "--hidden", "4",
                     "--embedding-dim", "4", "--epochs", "1", "--quiet", "--out", model)
    assert trained.returncode == 0, trained.stderr
    unseen = folder / "unseen.csv"
    unseen.write_text("label,text\npos,good\nzzz,ok fine\naaa,bad\n")  # sorted first: 'aaa'
    done = invoke("classify", "eval", model, unseen)
    assert_one_line_failure(done, f"{unseen}:3", "'zzz'")
