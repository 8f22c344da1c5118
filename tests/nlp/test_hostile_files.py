"""Library-level guards against damaged or hostile files: runaway patterns, future format
versions, self-referencing merges, word2vec headers that lie, the wrong word2vec format."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.nlp.tokenizers import BPETokenizer, Tokenizer, WordTokenizer
from seqlab.nlp.tokenizers.patterns import PatternTimeoutError
from seqlab.nlp.word2vec.formats import read_word2vec_format, write_word2vec_format


def test_a_backtracking_pattern_stops_in_bounded_time():
    """The search is cut off by the matcher's own timeout (the message names the bound it
    was given: 1 s + 1 s a megabyte), not left to backtrack for ever; no wall clock read here
    (a loaded machine would make that flaky)."""
    tokenizer = WordTokenizer(None, pattern="(a|aa)+$")
    with pytest.raises(PatternTimeoutError,
                       match=r"ran for more than 1\.0 s on 41 characters .it backtracks"):
        tokenizer.tokenize("a" * 40 + "!")


def test_custom_patterns_still_split_like_re():
    pattern = r"\w+|[^\w\s]"
    assert WordTokenizer(None, pattern=pattern).tokenize("Hi, you!") == ["Hi", ",", "you", "!"]
    bpe = BPETokenizer.train("hello hello world", vocab_size=262, pattern=r"\S+|\s+")
    assert bpe.decode(bpe.encode("hello world")) == "hello world"


def test_future_versions_and_self_referencing_merges_are_refused():
    data = WordTokenizer.train("a b").to_dict()
    with pytest.raises(ValueError, match="newer"):
        Tokenizer.from_dict({**data, "version": 4})
    with pytest.raises(ValueError, match="version"):
        Tokenizer.from_dict({**data, "version": "one"})
    with pytest.raises(ValueError, match="merge 0"):
        Tokenizer.from_dict({"type": "bpe", "version": 1, "merges": [[260, 4]]})
    with pytest.raises(ValueError, match="merge 1"):
        Tokenizer.from_dict({"type": "bpe", "version": 1, "merges": [[4, 5], [261, 4]]})


def test_word2vec_header_claiming_more_than_the_file_holds(tmp_path):
    path = tmp_path / "lies.txt"
    path.write_text("1000000000000 100\nking " + " ".join(["0.5"] * 100) + "\n")
    with pytest.raises(ValueError, match="truncated"):
        read_word2vec_format(path)


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_detected_and_mismatch_named(tmp_path, binary):
    path = tmp_path / "v"
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    write_word2vec_format(path, ["a", "b", "c"], vectors, binary=binary)
    keys, read = read_word2vec_format(path, binary=None)
    assert keys == ["a", "b", "c"] and np.array_equal(read, vectors)
    with pytest.raises(ValueError, match="binary format" if binary else "text format"):
        read_word2vec_format(path, binary=not binary)


def test_checkpoint_config_must_fit_the_stored_weights():
    from seqlab.seqmodels.config_checks import check_config_fits, check_config_object

    state = {"w": np.zeros((8, 4), np.float32)}
    check_config_fits({"hidden_size": 4, "num_layers": 1}, state, "m")
    with pytest.raises(ValueError, match="hidden_size=1000000"):
        check_config_fits({"hidden_size": 10**6}, state, "m")
    with pytest.raises(ValueError, match="vocab_size"):
        check_config_fits({"vocab_size": 30, "embedding_dim": 30}, state, "m")
    with pytest.raises(ValueError, match="list"):
        check_config_object([1], "m")
