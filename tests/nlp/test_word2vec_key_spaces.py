"""A key holding a space or a newline cannot be written in the word2vec formats (a space ends
the key, a newline the text entry): seqlab and gensim could not read such a file back. Writing
one is refused naming the key, before a byte is written; every other key round-trips."""

from __future__ import annotations

import numpy as np
import pytest
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.nlp.word2vec import KeyedVectors

ODD_KEYS = ["tab\there", "nul\x00", "cr\r", "line\u2028sep", "next\x85line", "\U0001f600",
            "x" * 3000, "", "non\u00a0breaking"]


def _vectors(keys) -> KeyedVectors:
    kv = KeyedVectors(4)
    kv.add_vectors(keys, np.arange(4 * len(keys), dtype=np.float32).reshape(-1, 4))
    return kv


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("key", ["new york", "nl\nx", "\nleading", "trailing "])
def test_a_key_with_a_space_or_newline_is_refused_by_name(tmp_path, key, binary):
    kv = _vectors(["ok", key])
    assert kv[key].shape == (4,)  # in memory a key is any str, as in gensim
    path = tmp_path / "v.bin"
    with pytest.raises(ValueError, match="new_york") as refused:
        kv.save_word2vec_format(path, binary=binary)
    assert repr(key) in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_an_existing_file_is_left_as_it_was(tmp_path):
    path = tmp_path / "v.txt"
    _vectors(["ok"]).save_word2vec_format(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="space"):
        _vectors(["ok", "new york"]).save_word2vec_format(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("binary", [False, True])
def test_other_odd_keys_round_trip(tmp_path, binary):
    kv = _vectors(ODD_KEYS)
    kv.save_word2vec_format(tmp_path / "v", binary=binary)
    back = KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary)
    assert back.index_to_key == ODD_KEYS
    np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_export_of_a_binary_key_holding_a_newline_to_text_is_one_line(tmp_path):
    """A binary file can hold a newline inside a key (word2vec.c and gensim read up to the
    space); the text format cannot: `word2vec export` to text says so and writes nothing."""
    vectors = tmp_path / "in.bin"
    vectors.write_bytes(b"2 2\n" + b"a\nb " + np.ones(2, "<f4").tobytes()
                        + b"c " + np.zeros(2, "<f4").tobytes())
    assert KeyedVectors.load_word2vec_format(vectors, binary=True).index_to_key == ["a\nb", "c"]
    before = snapshot(tmp_path)
    done = invoke("word2vec", "export", vectors, tmp_path / "out.txt", "--text")
    assert_one_line_failure(done, "'a\\nb'", "newline")
    assert snapshot(tmp_path) == before
