"""Word2Vec's vocabulary options as gensim 4.4 has them (max_final_vocab, trim_rule,
sorted_vocab, shrink_windows, comment, build_vocab(update=True)), KeyedVectors.get_vecattr /
set_vecattr, and one clear refusal for what seqlab does not do (null_word, a hashfxn)."""

import gensim.models
import gensim.utils
import numpy as np
import pytest

from seqlab.nlp.word2vec import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Word2Vec


@pytest.fixture(scope="module")
def zipf_sentences():
    """Zipf-distributed words with many tied counts (ties decide orders and cut-offs)."""
    rng = np.random.default_rng(6)
    vocab = [f"t{i}" for i in range(120)]
    p = 1 / np.arange(1, 121)
    p /= p.sum()
    return [list(rng.choice(vocab, size=rng.integers(3, 15), p=p)) for _ in range(300)]


def keep_t9_discard_t1(word, count, min_count):
    """A gensim trim_rule: keep t9x words whatever their count, drop t1, default otherwise."""
    if word.startswith("t9"):
        return RULE_KEEP
    if word == "t1":
        return RULE_DISCARD
    return RULE_DEFAULT


@pytest.mark.parametrize("options", [
    {"max_final_vocab": 20, "min_count": 1},
    {"max_final_vocab": 20, "min_count": 9},
    {"max_final_vocab": 1000, "min_count": 2},
    {"sorted_vocab": 0, "min_count": 2},
    {"trim_rule": keep_t9_discard_t1, "min_count": 4},
    {"trim_rule": keep_t9_discard_t1, "min_count": 1, "max_vocab_size": 40},
    {"trim_rule": keep_t9_discard_t1, "max_final_vocab": 15, "sorted_vocab": 0},
], ids=lambda options: ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in options.items()))
def test_vocabulary_options_give_gensims_vocabulary(zipf_sentences, options):
    ours = Word2Vec(hs=1, **options)
    ours.build_vocab(zipf_sentences)
    theirs = gensim.models.Word2Vec(hs=1, **options)
    theirs.build_vocab(zipf_sentences)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert ours.effective_min_count == theirs.effective_min_count
    assert ours.wv.counts.tolist() == theirs.wv.expandos["count"].tolist()
    assert ours.sample_ints.tolist() == theirs.wv.expandos["sample_int"].tolist()
    assert ours.cum_table.tolist() == theirs.cum_table.tolist()
    for index in range(len(ours.wv)):
        length = ours.codelens[index]
        assert ours.codes[index, :length].tolist() == theirs.wv.expandos["code"][index].tolist()


def test_trim_rule_constants_are_gensims():
    assert (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP) == (
        gensim.utils.RULE_DEFAULT, gensim.utils.RULE_DISCARD, gensim.utils.RULE_KEEP)


def test_get_and_set_vecattr_count_as_gensim(zipf_sentences):
    ours = Word2Vec(zipf_sentences, vector_size=8, min_count=3, workers=1, epochs=1)
    theirs = gensim.models.Word2Vec(zipf_sentences, vector_size=8, min_count=3, workers=1,
                                    epochs=1)
    for word in ("t0", "t7", theirs.wv.index_to_key[-1]):
        assert ours.wv.get_vecattr(word, "count") == theirs.wv.get_vecattr(word, "count")
    ours.wv.set_vecattr("t7", "count", 1234)
    assert ours.wv.get_vecattr("t7", "count") == 1234
    assert ours.wv.counts[ours.wv.key_to_index["t7"]] == 1234
    with pytest.raises(KeyError, match="'count'"):
        ours.wv.get_vecattr("t0", "colour")
    with pytest.raises(KeyError, match="nope"):
        ours.wv.get_vecattr("nope", "count")


@pytest.mark.parametrize(("arguments", "message"), [
    ({"null_word": 1}, "null_word"),
    ({"hashfxn": lambda text: 0}, "hashfxn"),
])
def test_arguments_seqlab_does_not_implement_are_refused_in_one_line(arguments, message):
    with pytest.raises(ValueError, match=message) as refused:
        Word2Vec(**arguments)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("options", [
    {"min_count": 3, "hs": 1},
    {"min_count": 2, "trim_rule": keep_t9_discard_t1, "max_final_vocab": 40, "sample": 0},
], ids=["plain", "trim_rule+max_final_vocab"])
def test_build_vocab_update_grows_the_vocabulary_as_gensim(zipf_sentences, options):
    """Online vocabulary update: new words appended in corpus order, every word's count
    raised by its count in the new corpus, subsampling of the new corpus's words, tables
    rebuilt, new rows from default_rng(seed) as gensim's prep_vectors gives them."""
    trim_rule = options.pop("trim_rule", None)
    first, second = zipf_sentences[:150], [*zipf_sentences[150:], ["brandnew"] * 5,
                                           ["t9", "fresh", "fresh", "fresh"] * 3]
    ours = Word2Vec(vector_size=8, **options)
    theirs = gensim.models.Word2Vec(vector_size=8, **options)
    for model in (ours, theirs):
        model.build_vocab(first, trim_rule=trim_rule)
    before = len(ours.wv)
    for model in (ours, theirs):
        model.build_vocab(second, update=True, trim_rule=trim_rule)
    assert len(ours.wv) > before and "fresh" in ours.wv  # grown by the new corpus
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert ours.wv.counts.tolist() == theirs.wv.expandos["count"].tolist()
    assert ours.sample_ints.tolist() == theirs.wv.expandos["sample_int"].tolist()
    assert ours.cum_table.tolist() == theirs.cum_table.tolist()
    np.testing.assert_array_equal(ours.wv.vectors, theirs.wv.vectors)
    assert ours.syn1neg.shape == theirs.syn1neg.shape
    assert (ours.corpus_count, ours.corpus_total_words) == (theirs.corpus_count,
                                                            theirs.corpus_total_words)
    if options.get("hs"):
        for index in range(len(ours.wv)):
            length = ours.codelens[index]
            assert ours.codes[index, :length].tolist() == \
                theirs.wv.expandos["code"][index].tolist()
    ours.train(second, total_examples=ours.corpus_count, epochs=1)  # trains on


def test_build_vocab_update_needs_a_vocabulary_first():
    with pytest.raises(ValueError, match="build_vocab") as refused:
        Word2Vec().build_vocab([["a", "b"]] * 5, update=True)
    assert "\n" not in str(refused.value)


def test_shrink_windows_comment_and_options_survive_save_and_load(zipf_sentences, tmp_path):
    model = Word2Vec(zipf_sentences, vector_size=8, min_count=2, workers=1, epochs=1,
                     shrink_windows=False, max_final_vocab=30, sorted_vocab=0, comment="run 3")
    model.save(tmp_path / "m.w2v")
    loaded = Word2Vec.load(tmp_path / "m.w2v")
    assert (loaded.shrink_windows, loaded.max_final_vocab, loaded.sorted_vocab,
            loaded.comment) == (False, 30, 0, "run 3")
    assert loaded.wv.index_to_key == model.wv.index_to_key


def test_effective_min_count_survives_save_and_load(zipf_sentences, tmp_path):
    model = Word2Vec(zipf_sentences, vector_size=8, min_count=1, workers=1, epochs=1,
                     max_final_vocab=20)
    assert model.effective_min_count > 1  # raised by max_final_vocab
    model.save(tmp_path / "m.w2v")
    assert Word2Vec.load(tmp_path / "m.w2v").effective_min_count == model.effective_min_count
    from seqlab.autograd import io

    state, metadata = io.load(tmp_path / "m.w2v")  # a file from before it was saved
    del metadata["effective_min_count"]
    io.save(tmp_path / "old.w2v", state, metadata)
    assert Word2Vec.load(tmp_path / "old.w2v").effective_min_count == 1  # min_count


@pytest.mark.parametrize(("binary", "limit"), [(False, None), (True, None), (False, 4)])
def test_vectors_read_from_a_word2vec_file_have_gensims_stand_in_counts(tmp_path, binary,
                                                                        limit):
    """gensim's load_word2vec_format makes up descending counts (rows read minus index)."""
    from seqlab.nlp.word2vec import KeyedVectors

    theirs = gensim.models.KeyedVectors(3)
    theirs.add_vectors([f"w{i}" for i in range(7)], np.arange(21.0).reshape(7, 3))
    path = tmp_path / "v.bin"
    theirs.save_word2vec_format(path, binary=binary)
    ours = KeyedVectors.load_word2vec_format(path, binary=binary, limit=limit)
    gensims = gensim.models.KeyedVectors.load_word2vec_format(path, binary=binary, limit=limit)
    assert ours.index_to_key == gensims.index_to_key
    assert ([ours.get_vecattr(w, "count") for w in ours.index_to_key]
            == [gensims.get_vecattr(w, "count") for w in gensims.index_to_key])
