"""`Word2Vec.load` / `KeyedVectors.load` on a gensim model file (a pickle; QA stop 18, fixQ2
item 6): said "header claims 135,653,557,376 bytes ... truncated or not safetensors"; now it
names the pickle and the way to gensim's vectors. No pickle is ever unpickled."""

from __future__ import annotations

import pickle

import pytest

from seqlab.nlp.word2vec import KeyedVectors, Word2Vec


@pytest.mark.parametrize("cls", [Word2Vec, KeyedVectors])
def test_a_gensim_pickle_points_to_the_word2vec_format(tmp_path, cls):
    path = tmp_path / "g.model"
    # what gensim's SaveLoad.save writes: a pickle (protocol 4 starts b"\x80\x04")
    path.write_bytes(pickle.dumps({"wv": [0.5] * 100, "sg": 0}, protocol=4))
    with pytest.raises(ValueError) as refused:
        cls.load(path)
    said = str(refused.value)
    assert "header claims" not in said, said
    assert "pickle" in said and "save_word2vec_format" in said, said
    assert "KeyedVectors.load_word2vec_format" in said, said


def test_sg_default_is_skip_gram_and_documented():
    import inspect

    assert inspect.signature(Word2Vec).parameters["sg"].default == 1
    assert "sg=1" in Word2Vec.__doc__ and "gensim" in Word2Vec.__doc__
