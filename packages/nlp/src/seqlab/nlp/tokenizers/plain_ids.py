"""Token ids as `seqlab tokenize encode` prints them (whole numbers separated by whitespace)
read from a stream a bounded piece at a time, so `encode | decode` holds no whole list of ids.
The words come out as written; turning them into ids (and refusing what is not one) is the
reader's (`tokenize decode`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

SHOWN_CHARS = 80  # how much of a refused word a `LongIdWordError` keeps


class LongIdWordError(ValueError):
    """A word longer than a piece of the stream: no token id is that long, so it is refused
    as it comes rather than held. `number` is its place among the words (from 1), `start`
    its first `SHOWN_CHARS` characters."""

    def __init__(self, number: int, start: str) -> None:
        super().__init__(f"word {number} on the stream is longer than a piece: {start!r}...")
        self.number, self.start = number, start


def plain_id_words(head: str, read: Callable[[int], str], chunk_chars: int,
                   longest_word: int | None = None) -> Iterator[list[str]]:
    """The whitespace-separated words of `head` and of what `read(chunk_chars)` returns after
    it (until it returns ""), a piece at a time: a word cut between two pieces comes whole in
    the later list. A `LongIdWordError` (before the words of that piece) for a word longer
    than `longest_word` (default `chunk_chars`), so no word is held past that."""
    longest_word = chunk_chars if longest_word is None else longest_word
    carried, number = "", 1
    while head:
        words = (carried + head).split()
        carried = words.pop() if words and not head[-1].isspace() else ""
        if len(carried) > longest_word:
            raise LongIdWordError(number + len(words), carried[:SHOWN_CHARS])
        yield words
        number += len(words)
        head = read(chunk_chars)
    if carried:
        yield [carried]
