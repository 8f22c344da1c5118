"""Streaming tokenization equals tokenizing the whole text; the id cache is reused and refreshed."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.corpora import (
    TokenizedLines,
    cached_token_ids,
    iter_pieces,
    narrowest_unsigned,
    read_text,
    safe_pieces,
    stream_token_ids,
)
from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

TRICKY = (
    "First line\r\nsecond line\rstill second\n\n\n   indented  line  \n"
    + "a very long line " * 300 + "\n"
    + "naïve café 日本語のテキスト 😀 emoji\r\n"
    + "x  \ny\n\t\ttabs\n" + "nospace" * 8 + "\n"
    + "don't stop   'til  12,345.6 done!!"  # no trailing newline
)


def _word_lm_reference(tokenizer, text):
    """The word-level LM stream, whole: the ids of each line that has tokens, then </s>."""
    ids = []
    for line in text.split("\n"):
        if line_ids := tokenizer.encode(line):
            ids.extend(line_ids)
            ids.append(tokenizer.eos_id)
    return np.asarray(ids, dtype=np.int64)


def _tokenizers(text):
    return {
        "char": CharTokenizer.train(text),
        "word": WordTokenizer.train(text),
        "bpe": BPETokenizer.train(text, vocab_size=300, min_frequency=2),
    }


@pytest.fixture
def corpus(tmp_path):
    # two files, the first without a final newline; chunks of 7 bytes split every multi-byte
    # character somewhere in the sweep below
    (tmp_path / "a.txt").write_bytes(TRICKY.encode("utf-8"))
    (tmp_path / "b.txt").write_bytes(b"second file\nwith  more text\n")
    return tmp_path


@pytest.mark.parametrize("chunk_bytes", [1, 7, 64, 1 << 20])
def test_streamed_ids_equal_whole_text_ids_for_every_level(corpus, chunk_bytes):
    text = read_text(corpus)
    for level, tokenizer in _tokenizers(text).items():
        whole = (_word_lm_reference(tokenizer, text) if level == "word"
                 else np.asarray(tokenizer.encode(text), dtype=np.int64))
        blocks = list(stream_token_ids(corpus, tokenizer, line_eos=level == "word",
                                       chunk_bytes=chunk_bytes))
        streamed = np.concatenate(blocks)
        np.testing.assert_array_equal(streamed, whole, err_msg=f"{level}, {chunk_bytes} bytes")
        if chunk_bytes < 100:
            assert len(blocks) > 5  # it really streamed


@settings(deadline=None, max_examples=60)
@given(st.text(alphabet=st.sampled_from(list("ab é日\n\r\t'.!1😀")), max_size=80),
       st.integers(1, 9))
def test_safe_pieces_keep_bpe_pretokens(text, piece_size):
    tokenizer = BPETokenizer()
    chunks = [text[i:i + piece_size] for i in range(0, len(text), piece_size)]
    pieces = list(safe_pieces(chunks))
    assert "".join(pieces) == text
    streamed = [token for piece in pieces for token in tokenizer.pretokenize(piece)]
    assert streamed == tokenizer.pretokenize(text)


def test_tokenizers_train_the_same_from_pieces(corpus):
    text = read_text(corpus)
    pieces = list(iter_pieces(corpus, chunk_bytes=16))
    assert len(pieces) > 10
    assert BPETokenizer.train(pieces, 300).merges == BPETokenizer.train(text, 300).merges
    assert WordTokenizer.train(pieces).to_dict() == WordTokenizer.train(text).to_dict()
    assert CharTokenizer.train(pieces).to_dict() == CharTokenizer.train(text).to_dict()


def test_tokenized_lines_are_reiterable_lines(corpus):
    tokenizer = WordTokenizer(lowercase=True)
    lines = TokenizedLines(corpus, tokenizer.tokenize, chunk_bytes=5)
    expected = [t for t in map(tokenizer.tokenize, read_text(corpus).split("\n")) if t]
    assert list(lines) == expected
    assert list(lines) == expected  # a second epoch reads the files again


def test_tokenized_lines_default_chunks_cut_lines_of_a_larger_file(tmp_path):
    from seqlab.nlp.corpora import COUNTING_CHUNK_BYTES

    path = tmp_path / "big.txt"
    line = "Naïve café, 日本語 don't stop\r\n"
    path.write_bytes((line * (3 * COUNTING_CHUNK_BYTES // len(line.encode()) + 5)).encode())
    tokenizer = WordTokenizer(lowercase=True)
    expected = [t for t in map(tokenizer.tokenize, read_text(path).split("\n")) if t]
    lines = TokenizedLines(path, tokenizer.tokenize)
    assert lines.chunk_bytes == COUNTING_CHUNK_BYTES  # the file is several such chunks long
    assert list(lines) == expected


def test_narrowest_unsigned_dtype():
    assert narrowest_unsigned(256) == np.uint8
    assert narrowest_unsigned(257) == np.uint16
    assert narrowest_unsigned(65536) == np.uint16
    assert narrowest_unsigned(65537) == np.uint32


def test_cache_is_reused_and_invalidated_when_a_file_changes(corpus, tmp_path):
    text = read_text(corpus)
    tokenizer = CharTokenizer.train(text + "Z")
    cache = tmp_path / "run.cache"
    ids = cached_token_ids(corpus, tokenizer, cache, chunk_bytes=32)
    assert isinstance(ids, np.memmap) and ids.dtype == np.uint8
    np.testing.assert_array_equal(ids, tokenizer.encode(text))
    (ids_file,) = cache.glob("*.ids")
    stamp = ids_file.stat().st_mtime_ns
    again = cached_token_ids(corpus, tokenizer, cache, chunk_bytes=32)
    np.testing.assert_array_equal(again, ids)
    assert ids_file.stat().st_mtime_ns == stamp  # reused, not rewritten

    # same size, different content and mtime: the cache must notice
    path = corpus / "b.txt"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"second", b"ZZZZZZ"))
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    changed = cached_token_ids(corpus, tokenizer, cache, chunk_bytes=32)
    np.testing.assert_array_equal(changed, tokenizer.encode(read_text(corpus)))
    assert len(list(cache.glob("*.ids"))) == 1  # the stale version was removed

    # a different tokenizer gets its own ids
    wide = WordTokenizer.train(read_text(corpus))
    word_ids = cached_token_ids(corpus, wide, cache, line_eos=True)
    np.testing.assert_array_equal(word_ids, _word_lm_reference(wide, read_text(corpus)))


def test_a_truncated_cache_file_is_rebuilt(corpus, tmp_path):
    tokenizer = CharTokenizer.train(read_text(corpus))
    cache = tmp_path / "c"
    ids = np.array(cached_token_ids(corpus, tokenizer, cache))
    (ids_file,) = cache.glob("*.ids")
    ids_file.write_bytes(ids_file.read_bytes()[:10])
    np.testing.assert_array_equal(cached_token_ids(corpus, tokenizer, cache), ids)


def test_word_stream_of_text_without_a_final_newline_ends_with_eos(corpus):
    single = corpus / "a.txt"  # TRICKY ends without a newline
    text = read_text(single)
    assert not text.endswith("\n")
    tokenizer = WordTokenizer.train(text)
    for chunk_bytes in (1, 7, 1 << 20):
        streamed = np.concatenate(list(stream_token_ids(single, tokenizer, line_eos=True,
                                                        chunk_bytes=chunk_bytes)))
        np.testing.assert_array_equal(streamed, _word_lm_reference(tokenizer, text))
