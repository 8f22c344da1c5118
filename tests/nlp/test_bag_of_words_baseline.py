"""The bag-of-words baseline `classify train` reports beside the RNN."""

from seqlab.nlp.classification import bag_of_words_baseline


def test_the_baseline_learns_words_that_tell_the_labels_apart():
    texts = ["good film", "great film", "bad film", "awful film"] * 5
    labels = ["pos", "pos", "neg", "neg"] * 5
    got = bag_of_words_baseline(texts, labels, ["good great", "bad awful"])
    assert list(got) == ["pos", "neg"]


def test_texts_without_words_of_two_letters_get_the_majority_label():
    """scikit-learn's tokens are words of two letters or more: none here, nothing to fit, so
    every text gets the training split's most frequent label (it raised "empty vocabulary")."""
    texts = ["a b", "c d", "a c", "c e", "a b"]
    labels = ["zed", "bar", "zed", "bar", "zed"]
    got = bag_of_words_baseline(texts, labels, ["c d", "a b", "!"])
    assert list(got) == ["zed", "zed", "zed"]
