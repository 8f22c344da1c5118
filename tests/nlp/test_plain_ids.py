"""`seqlab.nlp.tokenizers.plain_ids.plain_id_words`: `tokenize decode`'s reader of plain ids on
stdin, moved from the CLI (its tests hold the command's messages): the words of a stream read
a bounded piece at a time, a word cut between pieces whole, an overlong word refused."""

from __future__ import annotations

import io

import pytest

from seqlab.nlp.tokenizers.plain_ids import LongIdWordError, plain_id_words


def words_read(text: str, chunk_chars: int) -> list[list[str]]:
    stream = io.StringIO(text)
    return list(plain_id_words(stream.read(chunk_chars), stream.read, chunk_chars))


@pytest.mark.parametrize("chunk_chars", [1, 2, 3, 5, 8, 1000])
@pytest.mark.parametrize("text", ["5 6 7 8 12 10", " 12\n 3\t4 \n", "", "  \n", "123"])
def test_the_words_are_str_split_at_every_piece_size(text, chunk_chars):
    if chunk_chars < max(map(len, text.split()), default=0):
        pytest.skip("a word longer than a piece is refused (below)")
    pieces = words_read(text, chunk_chars)
    assert [word for piece in pieces for word in piece] == text.split()
    assert all(sum(map(len, piece)) <= 2 * chunk_chars for piece in pieces)  # bounded


def test_nothing_is_read_ahead_of_the_words_taken():
    stream = io.StringIO("1 2 3 4 5 6")
    words = plain_id_words(stream.read(4), stream.read, 4)
    assert next(words) == ["1", "2"]
    assert stream.tell() == 4


@pytest.mark.parametrize(("chunk_chars", "shown"), [(4, 8), (100, 80)])
def test_a_word_longer_than_a_piece_is_refused_as_it_comes(chunk_chars, shown):
    with pytest.raises(LongIdWordError) as raised:
        words_read("5 6 " + "x" * 500 + " 7", chunk_chars)
    assert raised.value.number == 3  # the third word
    assert raised.value.start == "x" * shown  # refused once past a piece, shown at most 80


def test_a_longer_word_may_be_allowed_than_a_piece():
    with pytest.raises(LongIdWordError):  # at a piece of 1 by default
        words_read("7 26 5", 1)
    stream = io.StringIO("7 26 5 123")
    taken: list[str] = []
    with pytest.raises(LongIdWordError) as raised:
        for piece in plain_id_words(stream.read(1), stream.read, 1, longest_word=2):
            taken.extend(piece)
    assert (taken, raised.value.number) == (["7", "26", "5"], 4)
