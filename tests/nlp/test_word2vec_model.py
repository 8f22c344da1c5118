"""Word2Vec training: repeatability, threads, input forms, learning-rate schedule, callbacks."""

import numpy as np
import pytest
from gensim.test.utils import datapath

from seqlab.nlp.word2vec import Word2Vec
from seqlab.nlp.word2vec.corpus import LineSentences
from seqlab.nlp.word2vec.model import _AlphaSchedule


@pytest.fixture(scope="module")
def lee_sentences():
    return [[w.lower() for w in s] for s in LineSentences(datapath("lee_background.cor"))]


SMALL = {"vector_size": 24, "epochs": 2, "min_count": 3}


@pytest.mark.parametrize(("sg", "hs", "negative"), [(1, 0, 5), (0, 0, 5), (1, 1, 0), (0, 1, 3)])
def test_one_worker_with_a_seed_repeats_bit_for_bit(lee_sentences, sg, hs, negative):
    runs = [
        Word2Vec(lee_sentences, sg=sg, hs=hs, negative=negative, workers=1, seed=7, **SMALL)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].wv.vectors, runs[1].wv.vectors)
    other_seed = Word2Vec(
        lee_sentences, sg=sg, hs=hs, negative=negative, workers=1, seed=8, **SMALL
    )
    assert not np.array_equal(runs[0].wv.vectors, other_seed.wv.vectors)


def test_two_workers_train_every_chunk_and_learn(lee_sentences):
    model = Word2Vec(lee_sentences, workers=2, compute_loss=True, batch_words=2000, **SMALL)
    effective, raw = model.train(lee_sentences, epochs=1)
    assert raw == model.corpus_total_words  # every chunk was trained and tallied
    assert 0 < effective < raw  # subsampling dropped frequent words
    assert np.isfinite(model.wv.vectors).all()
    assert model.get_latest_training_loss() > 0


def test_corpus_file_trains_like_the_same_sentences(tmp_path, lee_sentences):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in lee_sentences) + "\n", encoding="utf8")
    from_file = Word2Vec(corpus_file=path, workers=1, **SMALL)
    from_list = Word2Vec(lee_sentences, workers=1, **SMALL)
    assert from_file.wv.index_to_key == from_list.wv.index_to_key
    np.testing.assert_array_equal(from_file.wv.vectors, from_list.wv.vectors)


def test_learning_rate_decays_linearly_over_all_epochs():
    schedule = _AlphaSchedule(0.025, 0.0001, epochs=4)
    assert schedule.alpha(0, 0, 0, 100, None) == pytest.approx(0.025)
    assert schedule.alpha(1, 50, 0, 100, None) == pytest.approx(0.025 - 0.0249 * 1.5 / 4)
    assert schedule.alpha(3, 100, 0, 100, None) == pytest.approx(0.0001)
    assert schedule.alpha(3, 500, 0, 100, None) == pytest.approx(0.0001)  # never below min_alpha
    # a sentence total takes precedence over words, as in gensim
    assert schedule.alpha(0, 90, 5, 100, 10) == pytest.approx(0.025 - 0.0249 * 0.5 / 4)


class Recorder:
    def __init__(self):
        self.epochs, self.progress = [], []

    def on_epoch_end(self, model, epoch, loss, words_per_sec):
        self.epochs.append((epoch, loss, words_per_sec))

    def on_progress(self, model, words_done, total_words):
        self.progress.append((words_done, total_words))


def test_callbacks_get_epoch_loss_speed_and_progress(lee_sentences):
    recorder = Recorder()
    model = Word2Vec(
        lee_sentences,
        workers=1,
        compute_loss=True,
        callbacks=[recorder],
        batch_words=3000,
        vector_size=24,
        epochs=4,
        min_count=3,
    )
    assert [e for e, _, _ in recorder.epochs] == [0, 1, 2, 3]
    losses = [loss for _, loss, _ in recorder.epochs]
    assert all(isinstance(loss, float) and loss > 0 for loss in losses)
    assert losses[-1] < losses[0]  # training lowers the loss
    assert model.get_latest_training_loss() == pytest.approx(sum(losses))
    assert all(speed > 0 for _, _, speed in recorder.epochs)
    done = [d for d, _ in recorder.progress]
    assert done == sorted(done) and done[-1] == 4 * model.corpus_total_words
    assert {t for _, t in recorder.progress} == {4 * model.corpus_total_words}


def test_trained_vectors_capture_cooccurrence():
    rng = np.random.default_rng(0)
    animals, tools = ["cat", "dog", "cow", "pig"], ["saw", "drill", "hammer", "wrench"]
    sentences = []
    for _ in range(600):
        group = animals if rng.random() < 0.5 else tools
        sentences.append(list(rng.choice(group, 6)))
    model = Word2Vec(sentences, vector_size=16, min_count=1, epochs=5, workers=1, sample=0)
    within = model.wv.similarity("cat", "dog")
    across = model.wv.similarity("cat", "drill")
    assert within > across + 0.3
    assert model.wv.most_similar("hammer", topn=3)[0][0] in tools


def test_bad_arguments_are_reported(tmp_path):
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec([["a", "b"]], min_count=5)
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        Word2Vec(corpus_file=tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="re-iterable"):
        Word2Vec(iter([["a", "b"]]), min_count=1)
    with pytest.raises(ValueError, match="build the vocabulary"):
        Word2Vec().train([["a"]], total_words=1)
