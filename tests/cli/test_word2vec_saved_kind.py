"""Files of `Word2Vec.save` / `KeyedVectors.save` (safetensors, format seqlab-word2vec) are a
file kind of their own: `word2vec similar` reads them, and an --out check names them rather
than calling them foreign."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.cli import file_kinds
from seqlab.nlp.word2vec import KeyedVectors, Word2Vec

KEYS = ["king", "queen", "man", "woman", "apple"]


def _vectors() -> KeyedVectors:
    kv = KeyedVectors(4)
    kv.add_vectors(KEYS, np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    return kv


@pytest.fixture
def saved(tmp_path):
    kv = _vectors()
    kv.save(tmp_path / "kv.st")
    model = Word2Vec(vector_size=4, min_count=1, epochs=1, workers=1, seed=1)
    sentences = [line.split() for line in CORPUS.splitlines() if line.split()]
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=1)
    model.save(tmp_path / "model.st")
    return tmp_path, kv, model


def test_kind_of_knows_saved_word2vec_files(saved):
    folder, _, _ = saved
    for name, kind in (("kv.st", "keyed_vectors"), ("model.st", "word2vec")):
        assert file_kinds.kind_of(folder / name) == file_kinds.WORD2VEC_SAVED
        assert file_kinds.word2vec_saved_kind(folder / name) == kind


def test_similar_reads_a_saved_file(saved):
    folder, kv, model = saved
    done = invoke("word2vec", "similar", folder / "kv.st", "king", "--topn", "2", "--json")
    assert done.returncode == 0, done.stderr
    got = [row[0] if isinstance(row, list) else row["word"]
           for row in json.loads(done.stdout)["similar"]]
    assert got == [word for word, _ in kv.most_similar("king", topn=2)]
    word = model.wv.index_to_key[0]
    done = invoke("word2vec", "similar", folder / "model.st", word, "--topn", "1", "--json")
    assert done.returncode == 0, done.stderr


def test_an_out_check_names_a_saved_file(saved):
    folder, _, model = saved
    model.save(folder / "model.bin")  # a name `word2vec train --out` takes
    (folder / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    before = snapshot(folder)
    done = invoke("word2vec", "train", folder / "corpus.txt", "--dim", "4", "--min-count", "1",
                  "--epochs", "1", "--out", folder / "model.bin")
    assert_one_line_failure(done, "seqlab word2vec model", "--force")
    assert snapshot(folder) == before


def test_a_pickle_is_named_in_one_sentence(tmp_path):
    """QA stop 20, fixQ2 item 3: said "cannot read vectors from X.w2v is a Python pickle
    ...; seqlab never unpickles. In gensim, ..." (two sentences, the first ungrammatical)."""
    import pickle

    from inprocess import assert_one_line_failure, invoke

    path = tmp_path / "g.w2v"
    path.write_bytes(pickle.dumps({"wv": [0.5] * 100}, protocol=4))
    done = invoke("word2vec", "similar", path, "word")
    assert_one_line_failure(done, "g.w2v", "pickle", "save_word2vec_format")
    said = done.stderr.strip()
    assert "from " + str(path) + " is" not in said, said
    assert ". " not in said.replace("e.g. ", ""), said
