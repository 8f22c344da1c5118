"""QA round 23, findings 6 and 10: GloVe (headerless) text vectors are read wherever seqlab
reads word2vec text vectors, as gensim's `no_header=True` reads them (found by the first
line's shape); a file that is neither is refused without a Python bytes repr; the refusal of
a gensim pickle names the seqlab command that reads the vectors to write instead."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimVectors
from inprocess import assert_one_line_failure, invoke

from seqlab.nlp.word2vec import KeyedVectors

WORDS = ["king", "queen", "man", "woman", "café", "日本"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("glove")
    vectors = GensimVectors(vector_size=5)
    vectors.add_vectors(WORDS, np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32))
    vectors.save_word2vec_format(str(folder / "w2v.txt"))
    lines = (folder / "w2v.txt").read_bytes().split(b"\n", 1)
    (folder / "glove.txt").write_bytes(lines[1])  # `tail -n +2`: GloVe has no header
    vectors.save(str(folder / "g.kv"))  # a pickle
    return folder


def test_seqlab_reads_glove_as_gensim_with_no_header(files):
    theirs = GensimVectors.load_word2vec_format(str(files / "glove.txt"), no_header=True)
    for no_header in (True, None):
        ours = KeyedVectors.load_word2vec_format(files / "glove.txt", no_header=no_header)
        assert ours.index_to_key == theirs.index_to_key == WORDS
        np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    with pytest.raises(ValueError) as refused:  # gensim's default: a header is expected
        KeyedVectors.load_word2vec_format(files / "glove.txt")
    assert "looks like GloVe (no header)" in str(refused.value)
    assert "b'" not in str(refused.value)


def test_the_commands_read_glove_as_the_file_with_its_header(files):
    for args in (("word2vec", "similar", "{}", "king"), ("word2vec", "analogy", "{}", "man",
                                                         "king", "woman")):
        glove = invoke(*[a.format(files / "glove.txt") for a in args])
        headed = invoke(*[a.format(files / "w2v.txt") for a in args])
        assert glove.returncode == 0, glove.stderr
        assert glove.stdout == headed.stdout
    info = invoke("info", files / "glove.txt", "--json")
    assert info.returncode == 0, info.stderr
    shown = json.loads(info.stdout)
    assert {key: shown[key] for key in ("format", "words", "dimension")} == {
        "format": "GloVe text (no header)", "words": 6, "dimension": 5}


def test_a_file_that_is_not_vectors_is_refused_as_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello world, café\nsecond line\n")
    done = invoke("word2vec", "similar", path, "hello")
    assert_one_line_failure(done, "notes.txt", "'hello world, café'", code=1)
    assert "b'" not in done.stderr


def test_a_gensim_pickle_is_refused_naming_the_seqlab_command(files):
    done = invoke("word2vec", "similar", files / "g.kv", "king")
    assert_one_line_failure(done, "pickle", "save_word2vec_format('vectors.bin', binary=True)",
                            "then read them with: seqlab word2vec similar vectors.bin", code=1)
    assert "KeyedVectors.load_word2vec_format" not in done.stderr
