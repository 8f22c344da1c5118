"""Training from word indices encoded to files is bit-identical to training from token lists."""

import numpy as np
import pytest

from seqlab.nlp.word2vec import Word2Vec
from seqlab.nlp.word2vec.encoded import EncodedSentences


def _sentences():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(80)]
    probs = 1 / np.arange(1, 81)
    probs /= probs.sum()
    return [[words[i] for i in rng.choice(80, size=int(rng.integers(0, 30)), p=probs)]
            for _ in range(400)]


def _model():
    return Word2Vec(vector_size=16, window=3, min_count=3, sg=1, negative=3, epochs=2,
                    workers=1, seed=5, batch_words=97, compute_loss=True)


def test_encoded_sentences_train_the_same_vectors(tmp_path):
    sentences = _sentences()
    reference = _model()
    reference.build_vocab(sentences)
    reference.train(sentences, total_words=reference.corpus_total_words, epochs=2)

    streamed = _model()
    streamed.build_vocab(iter_twice := _Reiterable(sentences))
    encoded = EncodedSentences.encode(iter_twice, streamed.wv.key_to_index, tmp_path)
    assert len(encoded) == len(sentences) and iter_twice.passes == 2
    streamed.train(encoded, total_words=streamed.corpus_total_words, epochs=2)
    np.testing.assert_array_equal(streamed.wv.vectors, reference.wv.vectors)
    assert streamed.get_latest_training_loss() == reference.get_latest_training_loss()


def test_chunks_match_the_sentence_iterable_chunks(tmp_path):
    sentences = _sentences()
    model = _model()
    model.build_vocab(sentences)
    sentences[10:14] = [[], ["never-seen", "either"], [], []]  # sentences with no kept word
    encoded = EncodedSentences.encode(sentences, model.wv.key_to_index, tmp_path)
    # read blocks of 1 and 7 sentences (chunks cross block borders, a chunk spans many
    # blocks), and the default block, larger than the corpus
    for block_sentences in (1, 7, 1 << 16):
        blocked = EncodedSentences(*encoded.paths, block_sentences=block_sentences)
        for batch_words in (1, 50, 97, 10**6):
            model.batch_words = batch_words
            expected = list(model._encoded_chunks(sentences))
            got = list(blocked.chunks(batch_words))
            assert len(got) == len(expected)
            for (w1, e1, r1, s1), (w2, e2, r2, s2) in zip(got, expected):
                assert w1.dtype == e1.dtype == np.int64
                np.testing.assert_array_equal(w1, w2)
                np.testing.assert_array_equal(e1, e2)
                assert (r1, s1) == (r2, s2)


class _Reiterable:
    def __init__(self, items):
        self.items, self.passes = items, 0

    def __iter__(self):
        self.passes += 1
        return iter(self.items)


def test_a_truncated_index_file_is_an_error_not_a_short_chunk(tmp_path):
    sentences = _sentences()
    model = _model()
    model.build_vocab(sentences)
    encoded = EncodedSentences.encode(sentences, model.wv.key_to_index, tmp_path)
    words_path = encoded.paths[0]
    words_path.write_bytes(words_path.read_bytes()[:-8])
    with pytest.raises(ValueError, match="shorter than its sentence counts"):
        list(encoded.chunks(50))


def test_an_empty_corpus_has_no_chunks(tmp_path):
    encoded = EncodedSentences.encode([], {"a": 0}, tmp_path)
    assert len(encoded) == 0 and list(encoded.chunks(10)) == []


def test_a_truncated_raw_counts_file_is_an_error_not_fewer_counted_words(tmp_path):
    sentences = _sentences()
    model = _model()
    model.build_vocab(sentences)
    encoded = EncodedSentences.encode(sentences, model.wv.key_to_index, tmp_path)
    raw_path = encoded.paths[2]
    raw_path.write_bytes(raw_path.read_bytes()[:-8])
    with pytest.raises(ValueError, match="fewer sentences"):
        list(encoded.chunks(50))


def test_a_truncated_sentence_counts_file_is_an_error_not_fewer_sentences(tmp_path):
    sentences = _sentences()
    model = _model()
    model.build_vocab(sentences)
    encoded = EncodedSentences.encode(sentences, model.wv.key_to_index, tmp_path)
    kept_path = encoded.paths[1]
    kept_path.write_bytes(kept_path.read_bytes()[:-8])  # two whole counts cut off
    with pytest.raises(ValueError, match="holds more than"):
        list(encoded.chunks(50))
