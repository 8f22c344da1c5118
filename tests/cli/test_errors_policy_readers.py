"""Every text a command reads honours the root `--errors strict|replace|ignore` option and the
same byte-order-mark and UTF-16 rules as the corpus readers: generation prompts, inspect's
--file, word2vec's evaluation pairs and analogies, seq2seq translate's input file, classify's
folder texts."""

from __future__ import annotations

import codecs
import io
import json
import sys

import pytest
from cli_helpers import run, write_vectors
from inprocess import assert_one_line_failure, invoke

BAD = b"\xff"  # never valid in UTF-8


@pytest.fixture(scope="module")
def arpa_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ngram")
    corpus = folder / "corpus.txt"
    corpus.write_text("to be or not to be\nthat is the question\n" * 5, encoding="utf-8")
    model = folder / "m.arpa"
    done = invoke("ngram", "train", corpus, "--order", "2", "--out", model, "-q")
    assert done.returncode == 0, done.stderr
    return model


@pytest.fixture(scope="module")
def char_model(tmp_path_factory):
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    folder = tmp_path_factory.mktemp("lm")
    tokenizer = CharTokenizer.train("to be or not to be\n")
    return save_checkpoint(folder / "lm.safetensors",
                           LanguageModel(tokenizer.vocab_size, 4, 4, generator=0),
                           tokenizer=tokenizer.to_dict())


def test_prompt_file_follows_errors(arpa_model, tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes(b"to " + BAD + b"be")
    strict = invoke("generate", arpa_model, "--prompt-file", prompt, "-n", "2", "--seed", "1")
    assert_one_line_failure(strict, "prompt file", "byte", "--errors replace")
    replaced = invoke("--errors", "replace", "generate", arpa_model, "--prompt-file", prompt,
                      "-n", "2", "--seed", "1")
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout.startswith("to \ufffdbe")
    ignored = invoke("--errors", "ignore", "generate", arpa_model, "--prompt-file", prompt,
                     "-n", "2", "--seed", "1")
    assert ignored.returncode == 0, ignored.stderr
    assert ignored.stdout.startswith("to be")


def test_prompt_on_stdin_follows_errors(arpa_model, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"to " + BAD + b"be")))
    done = invoke("--errors", "ignore", "generate", arpa_model, "-", "-n", "2", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("to be")


def test_a_mark_is_dropped_only_at_byte_zero(arpa_model, tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes(codecs.BOM_UTF8 + b"to be " + codecs.BOM_UTF8 + b"or")
    done = invoke("--errors", "replace", "generate", arpa_model, "--prompt-file", prompt,
                  "-n", "1", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("to be \ufeffor")


def test_inspect_file_and_stdin_follow_errors(char_model, tmp_path, monkeypatch):
    passage = tmp_path / "passage.txt"
    passage.write_bytes(b"to " + BAD + b"be\n")
    assert_one_line_failure(invoke("inspect", char_model, "--file", passage), "--file",
                            "--errors replace")
    done = invoke("--errors", "ignore", "inspect", char_model, "--file", passage, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tokens"] == list("to be\n")
    done = invoke("--errors", "replace", "inspect", char_model, "--file", passage, "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["tokens"]) == len("to \ufffdbe\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"to " + BAD + b"be\n")))
    done = invoke("--errors", "ignore", "inspect", char_model, "--file", "-", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tokens"] == list("to be\n")


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vectors")
    path = write_vectors(folder / "vectors.txt")
    analogies = folder / "questions.txt"
    analogies.write_text(": family\nman king woman queen\nking man queen woman\n",
                         encoding="utf-8")
    return path, analogies


def _pairs_file(folder, middle: bytes):
    pairs = folder / "pairs.tsv"
    pairs.write_bytes(b"king\tqueen\t9\nman\twoman\t8\ncat\tdog\t7\n" + middle +
                      b"king\tcat\t1\nqueen\tdog\t2\n")
    return pairs


def test_word_pairs_follow_errors(vectors, tmp_path):
    path, analogies = vectors
    pairs = _pairs_file(tmp_path, b"caf" + BAD + b"\tdog\t3\n")
    strict = invoke("word2vec", "evaluate", path, "--pairs", pairs, "--analogies", analogies)
    assert_one_line_failure(strict, str(pairs), "byte", "--errors replace")
    done = invoke("--errors", "replace", "word2vec", "evaluate", path, "--pairs", pairs,
                  "--analogies", analogies, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["pairs.tsv"]
    assert report["spearman"] is not None and report["oov_percent"] == pytest.approx(100 / 6)


def test_word_pairs_drop_a_leading_mark_and_name_utf16(vectors, tmp_path):
    path, analogies = vectors
    pairs = tmp_path / "pairs.tsv"
    text = "king\tqueen\t9\nman\twoman\t8\ncat\tdog\t7\nking\tcat\t1\n"
    pairs.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    done = invoke("word2vec", "evaluate", path, "--pairs", pairs, "--analogies", analogies,
                  "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pairs.tsv"]["oov_percent"] == 0.0
    pairs.write_bytes(text.encode("utf-16"))
    done = invoke("word2vec", "evaluate", path, "--pairs", pairs, "--analogies", analogies)
    assert_one_line_failure(done, "looks like UTF-16", "iconv -f UTF-16")


def test_analogies_follow_errors(vectors, tmp_path):
    path, _ = vectors
    pairs = _pairs_file(tmp_path, b"")
    analogies = tmp_path / "questions.txt"
    analogies.write_bytes(b": family\nman king woman queen\nman king " + BAD + b" queen\n")
    strict = invoke("word2vec", "evaluate", path, "--pairs", pairs, "--analogies", analogies)
    assert_one_line_failure(strict, str(analogies), "byte", "--errors replace")
    done = invoke("--errors", "replace", "word2vec", "evaluate", path, "--pairs", pairs,
                  "--analogies", analogies, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["analogies"]["accuracy"] == 1.0


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clf")
    rows = "".join(f"{label},the film was {word}\n" for label, word in
                   (("pos", "good"), ("neg", "bad"), ("pos", "fine"), ("neg", "dull")) * 4)
    (folder / "reviews.csv").write_text("label,text\n" + rows, encoding="utf-8")
    out = folder / "clf.safetensors"
    done = run("classify", "train", str(folder / "reviews.csv"), "--epochs", "1", "--hidden",
               "4", "--embedding-dim", "4", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "(--epochs done)" in done.stdout  # the stop reason in words, not "(epochs)"
    return out


def test_classify_folder_follows_errors_and_names_utf16(tmp_path, classifier):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a fine " + BAD + b"film\n")
    assert_one_line_failure(invoke("classify", "predict", classifier, folder), "a.txt",
                            "--errors replace")
    done = invoke("--errors", "replace", "classify", "predict", classifier, folder, "--json")
    assert done.returncode == 0, done.stderr
    (folder / "a.txt").write_bytes("a fine film\n".encode("utf-16"))
    done = invoke("--errors", "replace", "classify", "predict", classifier, folder)
    assert_one_line_failure(done, "looks like UTF-16", "iconv -f UTF-16")


@pytest.fixture(scope="module")
def seq2seq_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2s")
    pairs = folder / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ("abc", "bca", "cab", "aab") * 20))
    done = invoke("seq2seq", "train", pairs, "--hidden", "8", "--layers", "1", "--steps", "2",
                  "--out", folder / "m.safetensors", "-q")
    assert done.returncode == 0, done.stderr
    return folder / "m.safetensors"


def test_translate_file_names_utf16_and_binary_whatever_errors(seq2seq_model, tmp_path):
    wide = tmp_path / "wide.txt"
    wide.write_bytes("abc\nbca\n".encode("utf-16"))
    done = invoke("--errors", "replace", "seq2seq", "translate", seq2seq_model, wide)
    assert_one_line_failure(done, "looks like UTF-16", "iconv -f UTF-16")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"abc\n\x00\x01\x02\n")
    done = invoke("--errors", "replace", "seq2seq", "translate", seq2seq_model, binary)
    assert_one_line_failure(done, "binary")
    marked = tmp_path / "marked.txt"
    marked.write_bytes(codecs.BOM_UTF8 + b"abc\nb" + BAD + b"a\n")
    done = invoke("--errors", "ignore", "seq2seq", "translate", seq2seq_model, marked)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2
