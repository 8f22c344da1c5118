"""Every streamed reader equals reading the file whole, for lines of any length: lines far
longer than the chunks (a line used to come in pieces past 4 chunks, and a "\\r" at a piece
border was lost), "\\n", "\\r\\n" and lone "\\r" endings, no final newline, characters of two to
four bytes split at chunk borders, words longer than many chunks, CRLF word-per-line text (no
safe cut after its newlines) and runs of blank lines. Tiny chunk sizes force every case."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp import corpora
from seqlab.nlp.corpora import (
    TokenizedLines,
    iter_lines,
    iter_pieces,
    safe_pieces,
    stream_token_ids,
)
from seqlab.nlp.ngram.distributed import shard_ranges
from seqlab.nlp.ngram.sentences import LineTokens, file_sentences
from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

LONG = "long w\u00f6rds \u65e5\u672c " * 40  # ~500 bytes: > 4 chunks of every size below
FILES = [
    LONG + "\r\n" + "x" * 300 + "\r" + "y" * 200 + "\n" + LONG,  # no final newline
    "word\r\n" * 40 + "caf\u00e9\r\n",  # CRLF, one word a line
    "\n" * 90 + "\U0001d11e" * 120 + "\n\n  \n",  # blank lines, one 480-byte character run
    "cr\ralone\rthen" + " \u20ac" * 150 + "\r",  # lone CRs; ends with a CR, no newline
    "",
    "short\n",
]
CHUNKS = [1, 2, 3, 7, 64]


def _write(folder, texts=FILES):
    paths = []
    for number, text in enumerate(texts):
        path = folder / f"{number}.txt"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def _whole_lines(texts, keep_ends=False):
    """Each file read whole and cut by str.split("\\n") (independent of the chunked reader)."""
    lines = []
    for text in texts:
        parts = text.split("\n")
        tail = parts.pop()
        lines += [part + "\n" if keep_ends else part.removesuffix("\r") for part in parts]
        if tail:
            lines.append(tail)  # no "\n" after it: a final "\r" is a character, not an ending
    return lines


def _whole_text():
    """The files joined as iter_chunks joins them (a newline after a file without one)."""
    return "".join(text if not text or text.endswith("\n") or last else text + "\n"
                   for last, text in ((i + 1 == len(FILES), t) for i, t in enumerate(FILES)))


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
@pytest.mark.parametrize("keep_ends", [False, True])
def test_lines_come_whole_at_any_length(tmp_path, chunk_bytes, keep_ends):
    paths = _write(tmp_path)
    lines = list(iter_lines(paths, keep_ends=keep_ends, chunk_bytes=chunk_bytes))
    assert lines == _whole_lines(FILES, keep_ends)
    assert max(map(len, lines)) > 4 * chunk_bytes  # the case that used to come in pieces
    # byte ranges (the --cluster shards) read the same lines
    for shards in (2, 5):
        ranged = [line for group in shard_ranges(paths, shards)
                  for line in iter_lines(group, keep_ends=keep_ends, chunk_bytes=chunk_bytes)]
        assert ranged == lines


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
def test_a_cr_at_every_chunk_border_is_kept_or_dropped_as_whole(tmp_path, chunk_bytes):
    """A "\\r" that is a character of its line stays, whichever chunk it ends."""
    for length in range(1, 3 * chunk_bytes + 3):
        text = "a" * length + "\r" + "b" * length + "\r\n" + "c\r"
        path = tmp_path / "cr.txt"
        path.write_bytes(text.encode())
        assert list(iter_lines(path, chunk_bytes=chunk_bytes)) == _whole_lines([text])


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
def test_tokenized_lines_equal_the_whole_files_lines(tmp_path, chunk_bytes):
    paths = _write(tmp_path)
    for tokenize in (WordTokenizer(lowercase=True).tokenize, list):  # words, and characters
        expected = [t for t in map(tokenize, _whole_text().split("\n")) if t]
        assert list(TokenizedLines(paths, tokenize, chunk_bytes=chunk_bytes)) == expected


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
def test_ngram_sentences_equal_the_whole_files_lines(tmp_path, monkeypatch, chunk_bytes):
    paths = _write(tmp_path)
    monkeypatch.setattr(corpora, "COUNTING_CHUNK_BYTES", chunk_bytes)
    for level in ("word", "whitespace", "char"):
        tokens = LineTokens(level)
        expected = [t for t in map(tokens, _whole_lines(FILES)) if t]
        assert list(file_sentences(paths, tokens)) == expected, level


@pytest.fixture(scope="module")
def tokenizers():
    text = _whole_text()
    return {"char": CharTokenizer.train(text), "word": WordTokenizer.train(text),
            "bpe": BPETokenizer.train(text, vocab_size=300, min_frequency=2)}


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
def test_streamed_ids_equal_the_whole_texts(tmp_path, tokenizers, chunk_bytes):
    paths = _write(tmp_path)
    text = _whole_text()
    pieces = list(iter_pieces(paths, chunk_bytes=chunk_bytes))
    assert "".join(pieces) == text
    for level, tokenizer in tokenizers.items():
        if level == "word":  # the word-level LM stream: each non-blank line, then </s>
            whole = [i for line in text.split("\n") if line.strip()
                     for i in [*tokenizer.encode(line), tokenizer.eos_id]]
        else:
            whole = tokenizer.encode(text)
        streamed = np.concatenate(list(stream_token_ids(paths, tokenizer, level == "word",
                                                        chunk_bytes=chunk_bytes)))
        np.testing.assert_array_equal(streamed, np.asarray(whole), err_msg=level)


def test_a_crlf_word_list_is_cut_between_cr_and_lf(tmp_path):
    """CRLF one-word lines have no safe cut after the newline; the one between "\\r" and
    "\\n" keeps the pieces small (they were carried until a forced, unsafe cut)."""
    path = _write(tmp_path, ["word\r\n" * 2000])[0]
    pieces = list(iter_pieces(path, chunk_bytes=64))
    assert len(pieces) > 100 and max(map(len, pieces)) < 200
    assert all(piece.endswith("\r") for piece in pieces[:-1])


@settings(deadline=None, max_examples=150)
@given(st.text(alphabet=st.sampled_from(list("ab \u00e9\n\r\t'.1")), max_size=60),
       st.integers(1, 5))
def test_safe_pieces_keep_every_tokenizers_tokens(text, piece_size):
    chunks = [text[i:i + piece_size] for i in range(0, len(text), piece_size)]
    pieces = list(safe_pieces(chunks))
    assert "".join(pieces) == text
    bpe, words = BPETokenizer(), WordTokenizer()
    assert [t for p in pieces for t in bpe.pretokenize(p)] == bpe.pretokenize(text)
    assert [t for p in pieces for t in words.tokenize(p)] == words.tokenize(text)


def test_a_cache_of_the_previous_version_is_not_reused(tmp_path, tokenizers, monkeypatch):
    """Caches written before pieces stopped being force-cut (version 2) may hold other ids:
    the version is in the key and the metadata, so such a cache is rebuilt and removed."""
    from seqlab.nlp.corpora import cached_token_ids, token_cache

    texts = tmp_path / "texts"
    texts.mkdir()
    paths = _write(texts)
    cache = tmp_path / "cache"
    tokenizer = tokenizers["bpe"]
    monkeypatch.setattr(token_cache, "CACHE_VERSION", token_cache.CACHE_VERSION - 1)
    cached_token_ids(paths, tokenizer, cache)
    [old_file] = cache.glob("*.ids")
    old_file.write_bytes(bytes(old_file.stat().st_size))  # ids an older cutting may have given
    monkeypatch.undo()
    ids = cached_token_ids(paths, tokenizer, cache)
    np.testing.assert_array_equal(ids, np.asarray(tokenizer.encode(_whole_text())))
    assert [p.name for p in cache.glob("*.ids")] != [old_file.name]
    assert len(list(cache.glob("*.ids"))) == 1
