"""`WatchedStream` finds what `find_characters` finds in a file with the same bytes (the
decoded-text search it mirrors for standard input), whatever the read sizes, and stops the
reader there."""

from __future__ import annotations

import io
import random

import pytest

from seqlab.nlp.ngram.character_watch import CharacterFound, WatchedStream
from seqlab.nlp.ngram.sentences import FoundCharacter, find_characters

REFUSED = "\u2581\t\r"
ALPHABET = ["a", " ", "\n", "é", "\u2581", "\t", "\u3000", "\r\n", "𝄞", "\u2580"]


def _read_all(stream: WatchedStream, size: int) -> bytes:
    read = b""
    while block := stream.read(size):
        read += block
    return read


@pytest.mark.parametrize("seed", range(40))
def test_it_finds_what_find_characters_finds_in_a_file(tmp_path, seed):
    rng = random.Random(seed)
    weights = [30, 10, 8, 5, 1, 1, 3, 1, 2, 3]
    text = "".join(rng.choices(ALPHABET, weights, k=rng.randrange(1, 400)))
    data = text.encode("utf-8")
    (tmp_path / "t.txt").write_bytes(data)
    expected = find_characters([tmp_path / "t.txt"], REFUSED)
    size = rng.choice([1, 2, 3, 7, 64, 4096])
    stream = WatchedStream(io.BytesIO(data), REFUSED, str(tmp_path / "t.txt"))
    if expected is None:
        assert _read_all(stream, size) == data
        return
    with pytest.raises(CharacterFound) as raised:
        _read_all(stream, size)
    assert raised.value.found == expected
    # the reader stopped within one read of the character's last byte
    end = len(text[:text.index(expected.character)].encode("utf-8")) \
        + len(expected.character.encode("utf-8"))
    assert end <= stream._stream.tell() < end + size


def test_clean_bytes_pass_through_unchanged():
    data = "naïve ▀ text\nno marks\n".encode()
    stream = WatchedStream(io.BytesIO(data), "\u2581", "standard input")
    assert _read_all(stream, 5) == data


def test_a_mark_after_invalid_bytes_is_still_found():
    data = b"ab\n\xf0\xe2\x96\x81c\n"  # F0 starts no complete sequence; E2 96 81 is U+2581
    assert data.decode("utf-8", "replace") == "ab\n\ufffd\u2581c\n"
    with pytest.raises(CharacterFound) as raised:
        _read_all(WatchedStream(io.BytesIO(data), "\u2581", "standard input"), 3)
    assert raised.value.found == FoundCharacter("standard input", 2, "\u2581")
