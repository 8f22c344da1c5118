"""word2vec vocabulary, subsampling, negative-sampling table and Huffman tree against gensim's."""

import gensim.models
import numpy as np
import pytest
from gensim.test.utils import datapath

from seqlab.nlp.word2vec import Word2Vec
from seqlab.nlp.word2vec.corpus import LineSentences
from seqlab.nlp.word2vec.vocab import build_huffman_tree, scan_vocab


@pytest.fixture(scope="module")
def lee_sentences():
    return list(LineSentences(datapath("lee_background.cor")))


@pytest.mark.parametrize(
    ("min_count", "sample", "max_vocab_size", "ns_exponent"),
    [(5, 1e-3, None, 0.75), (2, 1e-4, 3000, 0.5), (1, 0, None, 1.0), (3, 20, None, -0.5)],
)
def test_vocabulary_and_tables_equal_gensims(
    lee_sentences, min_count, sample, max_vocab_size, ns_exponent
):
    ours = Word2Vec(
        min_count=min_count,
        sample=sample,
        max_vocab_size=max_vocab_size,
        ns_exponent=ns_exponent,
        hs=1,
    )
    ours.build_vocab(lee_sentences)
    theirs = gensim.models.Word2Vec(
        min_count=min_count,
        sample=sample,
        max_vocab_size=max_vocab_size,
        ns_exponent=ns_exponent,
        hs=1,
    )
    theirs.build_vocab(lee_sentences)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert ours.wv.counts.tolist() == theirs.wv.expandos["count"].tolist()
    assert ours.sample_ints.tolist() == theirs.wv.expandos["sample_int"].tolist()
    assert ours.cum_table.tolist() == theirs.cum_table.tolist()
    np.testing.assert_array_equal(ours.wv.vectors, theirs.wv.vectors)  # same initialisation
    for index in range(len(ours.wv)):
        length = ours.codelens[index]
        assert ours.codes[index, :length].tolist() == theirs.wv.expandos["code"][index].tolist()
        assert ours.points[index, :length].tolist() == theirs.wv.expandos["point"][index].tolist()
    assert (ours.corpus_count, ours.corpus_total_words) == (
        theirs.corpus_count,
        theirs.corpus_total_words,
    )


def test_huffman_codes_are_prefix_free_and_frequent_words_are_shorter():
    counts = np.array([50, 20, 20, 7, 3, 1], dtype=np.int64)
    tree = build_huffman_tree(counts)
    codes = ["".join(map(str, tree.codes[i, : tree.codelens[i]])) for i in range(len(counts))]
    for a in codes:
        for b in codes:
            assert a == b or not b.startswith(a)
    assert tree.codelens.tolist() == sorted(tree.codelens.tolist())
    # Kraft equality holds for a full binary tree
    assert sum(2.0**-length for length in tree.codelens) == pytest.approx(1.0)


def test_max_vocab_size_prunes_rare_words_while_scanning_like_gensim():
    sentences = [["common", f"rare{i}", f"rare{i % 3}"] for i in range(12)] + [["common", "rare3"]]
    raw = scan_vocab(sentences, max_vocab_size=4)
    assert raw.counts["common"] == 13
    assert "rare5" not in raw.counts  # seen once, pruned when the vocabulary overflowed
    assert sum(raw.counts.values()) < raw.total_words
    assert raw.total_words == 38 and raw.sentence_count == 13
    ours = Word2Vec(min_count=1, max_vocab_size=4)
    ours.build_vocab(sentences)
    theirs = gensim.models.Word2Vec(min_count=1, max_vocab_size=4)
    theirs.build_vocab(sentences)
    assert ours.wv.index_to_key == theirs.wv.index_to_key


def test_a_plain_string_sentence_is_rejected():
    with pytest.raises(TypeError, match="list of tokens"):
        Word2Vec(["this is a sentence"], min_count=1)
