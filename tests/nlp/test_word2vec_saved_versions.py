"""Word2Vec file versions: a model saved now is version 2 (it holds settings the version-1
reader cannot pass to its constructor, so an older seqlab must refuse it with its one line,
not a TypeError), and a version-1 file, as the earlier seqlab wrote it, still loads."""

import numpy as np
import pytest

from seqlab.autograd import io
from seqlab.nlp.word2vec import KeyedVectors, Word2Vec

# What version 1 held under "settings" (the four later settings were not saved).
VERSION_1_SETTINGS = ("vector_size", "alpha", "min_alpha", "window", "min_count",
                      "max_vocab_size", "sample", "seed", "workers", "sg", "hs", "negative",
                      "ns_exponent", "cbow_mean", "epochs", "batch_words", "compute_loss")
SENTENCES = [[f"w{(i * 7 + j) % 23}" for j in range(9)] for i in range(60)]


def _model() -> Word2Vec:
    return Word2Vec(SENTENCES, vector_size=8, min_count=2, epochs=1, workers=1, seed=1)


def test_a_saved_model_is_version_2_and_round_trips(tmp_path):
    model = _model()
    model.save(tmp_path / "m.w2v")
    _, metadata = io.load(tmp_path / "m.w2v")
    assert metadata["version"] == 2
    loaded = Word2Vec.load(tmp_path / "m.w2v")
    assert (loaded.sorted_vocab, loaded.max_final_vocab, loaded.shrink_windows,
            loaded.comment) == (model.sorted_vocab, model.max_final_vocab,
                                model.shrink_windows, model.comment)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)


def test_a_version_1_file_loads_and_trains_on(tmp_path):
    model = _model()
    model.save(tmp_path / "new.w2v")
    state, metadata = io.load(tmp_path / "new.w2v")
    metadata["version"] = 1
    metadata["settings"] = {name: metadata["settings"][name] for name in VERSION_1_SETTINGS}
    del metadata["effective_min_count"]
    io.save(tmp_path / "old.w2v", state, metadata)
    loaded = Word2Vec.load(tmp_path / "old.w2v")
    assert loaded.wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    assert loaded.effective_min_count == 2
    loaded.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    loaded.build_vocab([["new1", "new1", "new2", "new2"]], update=True)
    assert "new1" in loaded.wv


def test_keyed_vectors_stay_version_1_which_every_seqlab_reads(tmp_path):
    _model().wv.save(tmp_path / "m.kv")
    assert io.load(tmp_path / "m.kv")[1]["version"] == 1
    assert len(KeyedVectors.load(tmp_path / "m.kv")) == len(_model().wv)


def test_a_newer_version_is_refused_in_one_line(tmp_path):
    _model().save(tmp_path / "m.w2v")
    state, metadata = io.load(tmp_path / "m.w2v")
    metadata["version"] = 3
    io.save(tmp_path / "future.w2v", state, metadata)
    with pytest.raises(ValueError, match=r"version 3; this seqlab reads versions 1 and 2"):
        Word2Vec.load(tmp_path / "future.w2v")
