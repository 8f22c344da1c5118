"""gensim names seqlab lacked: KeyedVectors.rank / closer_than / most_similar_to_given /
distances, checked against gensim on the same vectors, and Word2Vec / KeyedVectors save and
load with gensim's semantics (a loaded model answers and trains on as the saved one would)."""

import gensim.models
import numpy as np
import pytest
from gensim.test.utils import datapath

from seqlab.nlp.word2vec import KeyedVectors, Word2Vec
from seqlab.nlp.word2vec.corpus import LineSentences


@pytest.fixture(scope="module")
def vectors_pair():
    """Our KeyedVectors and gensim's over the same random vectors (ties are improbable)."""
    keys = [f"w{i}" for i in range(300)]
    weights = np.random.default_rng(3).normal(size=(len(keys), 12)).astype(np.float32)
    ours, theirs = KeyedVectors(12), gensim.models.KeyedVectors(12)
    ours.add_vectors(keys, weights)
    theirs.add_vectors(keys, weights)
    return ours, theirs


@pytest.mark.parametrize(("first", "second"), [("w0", "w1"), ("w5", "w299"), ("w7", "w7"),
                                               ("w42", "w17")])
def test_rank_and_closer_than_equal_gensim(vectors_pair, first, second):
    ours, theirs = vectors_pair
    assert ours.closer_than(first, second) == theirs.closer_than(first, second)
    assert ours.rank(first, second) == theirs.rank(first, second)


def test_most_similar_to_given_and_distances_equal_gensim(vectors_pair):
    ours, theirs = vectors_pair
    for key, candidates in [("w0", ["w1", "w2", "w3"]), ("w9", [f"w{i}" for i in range(50)])]:
        assert ours.most_similar_to_given(key, candidates) == \
            theirs.most_similar_to_given(key, candidates)
    np.testing.assert_allclose(ours.distances("w3"), theirs.distances("w3"), atol=1e-6)
    np.testing.assert_allclose(ours.distances("w3", ["w4", "w3"]),
                               theirs.distances("w3", ["w4", "w3"]), atol=1e-6)
    vector = ours["w8"] * 2
    np.testing.assert_allclose(ours.distances(vector, ["w8", "w1"]),
                               theirs.distances(vector, ["w8", "w1"]), atol=1e-6)


@pytest.mark.parametrize("as_given", [list, tuple, np.asarray])
def test_distances_take_any_non_key_as_a_vector_as_gensim(vectors_pair, as_given):
    ours, theirs = vectors_pair
    vector = [float(x) for x in ours["w8"] * 2]
    np.testing.assert_allclose(ours.distances(as_given(vector), ["w8", "w1"]),
                               theirs.distances(as_given(vector), ["w8", "w1"]), atol=1e-6)
    np.testing.assert_allclose(ours.distances(3, ["w1"]),
                               theirs.distances(3, ["w1"]), atol=1e-6)  # an int is an index


def test_unknown_keys_are_key_errors_as_in_gensim(vectors_pair):
    ours, _ = vectors_pair
    for call in (lambda: ours.rank("w0", "zebra"), lambda: ours.closer_than("zebra", "w0"),
                 lambda: ours.most_similar_to_given("zebra", ["w0"])):
        with pytest.raises(KeyError, match="zebra"):
            call()


@pytest.fixture(scope="module")
def lee_sentences():
    return [[w.lower() for w in s] for s in LineSentences(datapath("lee_background.cor"))]


@pytest.mark.parametrize(("sg", "hs", "negative"), [(1, 0, 5), (0, 1, 0)])
def test_a_loaded_model_trains_on_as_the_saved_one(tmp_path, lee_sentences, sg, hs, negative):
    """Training on after load gives the vectors that training on without saving gives, bit for
    bit (workers=1): every piece of training state was saved (weights, tables, counts, the
    random generator)."""
    options = {"vector_size": 16, "epochs": 1, "min_count": 3, "workers": 1, "seed": 5,
               "sg": sg, "hs": hs, "negative": negative}
    model = Word2Vec(lee_sentences, **options)
    model.save(tmp_path / "lee.model")
    loaded = Word2Vec.load(tmp_path / "lee.model")
    assert isinstance(loaded, Word2Vec)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    assert loaded.wv.index_to_key == model.wv.index_to_key
    assert (loaded.corpus_count, loaded.corpus_total_words, loaded.epochs, loaded.window) == \
        (model.corpus_count, model.corpus_total_words, model.epochs, model.window)
    assert loaded.wv.most_similar("president", topn=5) == model.wv.most_similar("president",
                                                                               topn=5)
    for trained in (model, loaded):
        trained.train(lee_sentences, total_examples=trained.corpus_count, epochs=1)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(loaded.syn1neg, model.syn1neg)
    np.testing.assert_array_equal(loaded.syn1, model.syn1)


def test_keyed_vectors_save_and_load(tmp_path, vectors_pair):
    ours, _ = vectors_pair
    ours.save(str(tmp_path / "words.kv"))
    loaded = KeyedVectors.load(str(tmp_path / "words.kv"))
    assert loaded.index_to_key == ours.index_to_key
    np.testing.assert_array_equal(loaded.vectors, ours.vectors)
    assert loaded.most_similar("w1") == ours.most_similar("w1")


def test_load_refuses_the_other_kind_and_foreign_files(tmp_path, vectors_pair, lee_sentences):
    ours, _ = vectors_pair
    ours.save(tmp_path / "words.kv")
    with pytest.raises(ValueError, match=r"KeyedVectors\.load"):
        Word2Vec.load(tmp_path / "words.kv")
    Word2Vec(lee_sentences[:50], vector_size=8, min_count=1, epochs=1).save(tmp_path / "m")
    with pytest.raises(ValueError, match=r"Word2Vec\.load\(.*\)\.wv"):
        KeyedVectors.load(tmp_path / "m")
    (tmp_path / "pickle.model").write_bytes(b"\x80\x04\x95 not a seqlab file")
    with pytest.raises(ValueError, match=r"is a Python pickle.*load_word2vec_format"):
        Word2Vec.load(tmp_path / "pickle.model")
