"""ngram, word2vec and tokenize commands end to end, files read back by their tools.

Training runs as a real subprocess (the console script, end to end); the commands that only
read what it wrote run in process (`inprocess.invoke`: the same `main`, without 1-3 s of
interpreter and Numba start each)."""

from __future__ import annotations

import json

import pytest
from cli_helpers import run
from inprocess import invoke


def test_ngram_train_eval_generate_export(tmp_path, corpus_file):
    arpa = tmp_path / "lm.arpa"
    trained = run("ngram", "train", str(corpus_file), "--order", "3", "--out", str(arpa),
                  "--json")
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["order"] == 3
    assert arpa.read_text().startswith(
        "# written by seqlab; tokenization: level=word lowercase=false pattern=graphemes\n\\data\\")
    evaluated = invoke("ngram", "eval", str(arpa), str(corpus_file), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    perplexity = json.loads(evaluated.stdout)["perplexity"]
    assert 1 < perplexity < 10  # the test text is the training text: highly predictable
    generated = invoke("generate", str(arpa), "--length", "12", "--seed", "1")
    assert generated.returncode == 0, generated.stderr
    assert len(generated.stdout.split()) >= 5
    native = tmp_path / "lm.npz"
    assert run("ngram", "train", str(corpus_file), "--smoothing", "witten-bell",
               "--out", str(native)).returncode == 0
    assert invoke("ngram", "export-arpa", str(native), str(tmp_path / "wb.arpa")).returncode == 0
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed here")
    assert kenlm.Model(str(arpa)).order == 3


def test_word2vec_train_similar_evaluate_and_gensim_reads_it(tmp_path, corpus_file):
    from gensim.models import KeyedVectors

    vectors = tmp_path / "v.txt"
    trained = run("word2vec", "train", str(corpus_file), "--dim", "10", "--min-count", "1",
                  "--epochs", "2", "--out", str(vectors), "--json")
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["vocabulary"] > 10
    kv = KeyedVectors.load_word2vec_format(str(vectors))
    assert kv.vector_size == 10 and "fox" in kv.key_to_index
    similar = invoke("word2vec", "similar", str(vectors), "fox", "--topn", "3", "--json")
    assert len(json.loads(similar.stdout)["similar"]) == 3
    missing = invoke("word2vec", "similar", str(vectors), "zzzzqqq")
    assert missing.returncode == 1 and "zzzzqqq" in missing.stderr
    evaluated = invoke("word2vec", "evaluate", str(vectors), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "wordsim353" in json.loads(evaluated.stdout)
    binary = tmp_path / "v.bin"
    assert invoke("word2vec", "export", str(vectors), str(binary)).returncode == 0
    assert KeyedVectors.load_word2vec_format(str(binary), binary=True).vector_size == 10


def test_tokenize_train_encode_decode(tmp_path, corpus_file):
    path = tmp_path / "bpe.json"
    assert run("tokenize", "train", str(corpus_file), "--level", "bpe", "--vocab-size", "300",
               "--out", str(path)).returncode == 0
    encoded = invoke("tokenize", "encode", str(path), "The quick fox", "--json")
    ids = json.loads(encoded.stdout)["ids"]
    decoded = invoke("tokenize", "decode", str(path), *map(str, ids))
    assert decoded.stdout.rstrip("\n") == "The quick fox"
    not_json = tmp_path / "x.json"
    not_json.write_text("[1, 2")
    bad = invoke("tokenize", "encode", str(not_json), "hi")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
