"""Pretrained vectors lined up with a tokenizer's ids (`vocabulary_vectors`)."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from seqlab.nlp.tokenizers import WordTokenizer
from seqlab.nlp.word2vec.vectors_file import read_vectors, vocabulary_vectors


def test_each_known_word_gets_its_own_vector_and_specials_none(tmp_path):
    tokenizer = WordTokenizer.train("the cat sat on the mat . the dog ran")
    stored = KeyedVectors(vector_size=3)
    words = ["dog", "the", "<unk>", "zebra", "cat"]
    stored.add_vectors(words, np.arange(15, dtype=np.float32).reshape(5, 3))
    path = tmp_path / "vectors.txt"
    stored.save_word2vec_format(str(path))
    ids, rows = vocabulary_vectors(tokenizer, *read_vectors(path))
    assert ids.tolist() == sorted(tokenizer.token_to_id(w) for w in ("dog", "the", "cat"))
    for token_id, row in zip(ids, rows, strict=True):
        word = tokenizer.id_to_token(int(token_id))
        assert row.tolist() == stored[word].tolist()
    assert tokenizer.unk_id not in ids  # a vector named like a special token is not used


def test_no_shared_word_is_a_value_error():
    tokenizer = WordTokenizer.train("Der Hund lief")
    with pytest.raises(ValueError, match="none of the vocabulary's words"):
        vocabulary_vectors(tokenizer, ["dog", "ran"], np.ones((2, 4), dtype=np.float32))
