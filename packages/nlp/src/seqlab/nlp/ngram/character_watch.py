"""A UTF-8 byte stream (standard input) watched for characters as it is read: what
`sentences.find_characters` does for files before counting, for text that can be read only
once."""

from __future__ import annotations

import re
from typing import BinaryIO

from seqlab.nlp.ngram.sentences import FoundCharacter


class CharacterFound(Exception):  # noqa: N818 (an event a reader stops at, not a fault)
    """`WatchedStream` met one of its characters; `found` says where. Not a ValueError, so
    that it passes the readers' handling of undecodable text untouched."""

    def __init__(self, found: FoundCharacter) -> None:
        super().__init__(f"{found.path} line {found.line} holds {found.character!r}")
        self.found = found


class WatchedStream:
    """`stream`'s bytes read through unchanged, except that a read whose bytes complete one
    of `characters` raises `CharacterFound` (named `name`, with its 1-based line) instead of
    returning them: the reader stops there, having read no further.

    The bytes are searched as UTF-8 (the encoding seqlab's commands read): an ASCII byte and
    a complete UTF-8 sequence decode to their character wherever they stand, even beside
    invalid bytes that `errors="replace"` would substitute, and a character split between
    two reads is found in the second. Lines end at b"\\n", as the readers split them."""

    def __init__(self, stream: BinaryIO, characters: str, name: str) -> None:
        if not characters:
            raise ValueError("characters must not be empty")
        encoded = [character.encode("utf-8") for character in characters]
        self._stream = stream
        self._pattern = re.compile(b"|".join(map(re.escape, encoded)))
        self._tail_bytes = max(map(len, encoded)) - 1  # of a character split between reads
        self._tail = b""
        self._lines = 0  # line ends in every byte returned so far
        self.name = name

    def read(self, size: int | None = -1) -> bytes:
        block = self._stream.read(size)
        searched = self._tail + block
        found = self._pattern.search(searched)
        if found is not None:
            line = (self._lines - self._tail.count(b"\n")
                    + searched.count(b"\n", 0, found.start()) + 1)
            raise CharacterFound(FoundCharacter(self.name, line,
                                                found.group().decode("utf-8")))
        self._lines += block.count(b"\n")
        if self._tail_bytes:
            self._tail = searched[-self._tail_bytes:]
        return block
