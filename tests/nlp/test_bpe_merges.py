"""The plain-Python BPE merge loop against the reference and the Numba kernel."""

import numpy as np
import pytest

from seqlab.nlp.tokenizers import BPETokenizer, bpe
from seqlab.nlp.tokenizers.bpe_kernels import reference_train_merges
from seqlab.nlp.tokenizers.bpe_kernels import train_merges as kernel_train_merges
from seqlab.nlp.tokenizers.bpe_merges import train_merges as python_train_merges


def train_merges(*args) -> np.ndarray:
    """The plain-Python loop's merges as the kernel's (m, 2) int64 array."""
    return np.array(python_train_merges(*args), dtype=np.int64).reshape(-1, 2)


def test_python_merges_match_reference_on_random_words():
    rng = np.random.default_rng(11)
    for _ in range(200):
        n_words = int(rng.integers(1, 8))
        lengths = rng.integers(1, 10, n_words)
        # tiny alphabets make overlapping pairs like (a, a) in "aaaa" common
        symbols = rng.integers(4, 4 + int(rng.integers(1, 4)), int(lengths.sum()))
        counts = rng.integers(1, 6, n_words)
        n_merges, min_frequency = int(rng.integers(0, 12)), int(rng.integers(1, 4))
        got = train_merges(symbols, lengths, counts, n_merges, min_frequency, 8)
        expected = reference_train_merges(symbols, lengths, counts, n_merges, min_frequency, 8)
        np.testing.assert_array_equal(got, expected)


def test_python_merges_match_reference_on_words_of_text():
    words = {"low": 5, "lower": 2, "newest": 6, "widest": 3, " the": 9, "aaaa": 2, "a": 4}
    encoded = [w.encode() for w in words]
    symbols = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.int64) + 4
    lengths = np.array([len(w) for w in encoded])
    counts = np.array(list(words.values()))
    got = train_merges(symbols, lengths, counts, 20, 2, bpe.FIRST_MERGE_ID)
    expected = reference_train_merges(symbols, lengths, counts, 20, 2, bpe.FIRST_MERGE_ID)
    np.testing.assert_array_equal(got, expected)
    assert len(got) > 5


def test_python_merges_take_machine_integer_arrays_as_the_tokenizer_passes_them():
    """bpe.py hands the loop uint16 symbols and int64 lengths as array.array, no NumPy."""
    from array import array

    words = {"low": 5, "lower": 2, "newest": 6, "widest": 3, " the": 9, "aaaa": 2, "a": 4}
    encoded = [w.encode() for w in words]
    symbols = array("H", (byte + 4 for byte in b"".join(encoded)))
    lengths = array("q", map(len, encoded))
    got = python_train_merges(symbols, lengths, list(words.values()), 20, 2, 260)
    expected = reference_train_merges(np.array(symbols, dtype=np.int64), np.array(lengths),
                                      np.array(list(words.values())), 20, 2, 260)
    assert got == [tuple(pair) for pair in expected.tolist()]
    assert all(type(left) is int and type(right) is int for left, right in got)


@pytest.mark.kernels
def test_python_merges_match_the_kernel_on_many_words():
    """Zipf-like counts over 3,000 words of 1-12 bytes from a 20-letter alphabet: many ties,
    stale heap entries and overlapping pairs, beyond what the reference can run quickly."""
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 13, 3000)
    symbols = rng.integers(4, 24, int(lengths.sum()))
    counts = (1000 / np.arange(1, 3001)).astype(np.int64) + rng.integers(1, 3, 3000)
    got = train_merges(symbols, lengths, counts, 600, 2, 260)
    expected = kernel_train_merges(symbols, lengths, counts, 600, 2, 260)
    np.testing.assert_array_equal(got, expected)
    assert len(got) == 600


@pytest.mark.kernels
def test_tokenizer_trained_either_way_is_the_same(monkeypatch):
    text = ("First Citizen:\nBefore we proceed any further, hear me speak.\n"
            "Naïve café owners don't pay 1,000€ — they're 日本語 speakers.\n") * 4
    in_python = BPETokenizer.train(text, vocab_size=330, min_frequency=2)
    monkeypatch.setattr(bpe, "PYTHON_MERGE_LIMIT", 0)  # every corpus is "large": Numba
    with_numba = BPETokenizer.train(text, vocab_size=330, min_frequency=2)
    assert in_python.merges == with_numba.merges
    assert len(in_python.merges) > 30
