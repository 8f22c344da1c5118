"""`seqlab tokenize encode --json`'s object (`{"ids": [...]}`) read from a stream a bounded
piece at a time, so `encode --json | decode` holds no whole list of ids.

Runs of plain integers are cut out with one regular expression per piece (C speed); any other
element, key or value goes through `json.JSONDecoder.raw_decode`, one at a time, so what is
accepted and how each element reads are json.loads's. Differences from reading the object
whole: the ids come out before the end of the object is seen, so an "error" key after them (an
encoding that stopped) or bad JSON after them is refused once their text is out, as plain ids
are; a second "ids" key is refused instead of replacing the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any


class IdsJsonError(ValueError):
    """Text that is not an encoding's JSON object of ids, or one that says the encoding
    stopped with an error; its message is one line, for the user."""


_SPACE = re.compile(r"[ \t\n\r]*")
# a run of JSON integers, each followed by its comma (the last element has none: read alone)
_INTEGERS = re.compile(r"(?:[ \t\n\r]*-?(?:0|[1-9][0-9]*)[ \t\n\r]*,)+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NUMBER_GOES_ON = re.compile(r"[.eE][-+0-9eE.]*")  # what may follow a number cut mid-way
_DECODER = json.JSONDecoder()
# a key or a value other than the ids list is read whole: one longer than this is refused
VALUE_LIMIT_CHARS = 1 << 20
_NO_IDS = ("the JSON on stdin has no \"ids\" list; give `seqlab tokenize encode --json` "
           "output")


class _LongNumber(str):
    """The text of a JSON number of more digits than Python converts to an int."""


class _Stream:
    """Text read a chunk at a time, with a cursor; what is behind the cursor is dropped."""

    def __init__(self, head: str, read: Callable[[int], str], chunk_chars: int) -> None:
        self.text, self.at = head, 0
        self.read, self.chunk_chars = read, chunk_chars
        self.ended = False
        self.last_text = ""  # the JSON text of the value `value` read last, as written
        self.lines_dropped = 0  # newlines in the text dropped so far (for error line numbers)

    def more(self) -> bool:
        """Append the next chunk (dropping what is behind the cursor); False at the end."""
        if self.ended:
            return False
        piece = self.read(self.chunk_chars)
        if not piece:
            self.ended = True
            return False
        self.lines_dropped += self.text.count("\n", 0, self.at)
        self.text, self.at = self.text[self.at:] + piece, 0
        return True

    def peek(self) -> str:
        """The next character after whitespace ('' at the end), not consumed."""
        while True:
            self.at = _SPACE.match(self.text, self.at).end()
            if self.at < len(self.text) or not self.more():
                return self.text[self.at: self.at + 1]

    def take(self, expected: str, message: str) -> str:
        """Consume the next character after whitespace, one of `expected`."""
        found = self.peek()
        if not found or found not in expected:
            raise self.error(message, self.at)
        self.at += 1
        return found

    def value(self) -> Any:
        """The JSON value at the cursor (after whitespace), read whole (up to
        VALUE_LIMIT_CHARS); an integer of more digits than Python converts comes back as its
        text (no token id is that long: the caller refuses it)."""
        self.peek()
        while True:
            too_long = len(self.text) - self.at > VALUE_LIMIT_CHARS
            try:
                value, end = _DECODER.raw_decode(self.text, self.at)
            except json.JSONDecodeError as error:
                if too_long or not self.more():
                    raise self.error(error.msg, error.pos) from None
                continue
            except ValueError:  # int() refused the digits
                value, end = None, _NUMBER.match(self.text, self.at).end()
                if end == len(self.text) and not too_long and self.more():
                    continue
                value = _LongNumber(self.text[self.at: end])
            # a number at the end of the text may go on in the next chunk, and so may one
            # that stops before a "." or "e" at the end ("0." decodes as 0, stopping there)
            cut = end == len(self.text) or (
                isinstance(value, (int, float, _LongNumber)) and not isinstance(value, bool)
                and _NUMBER_GOES_ON.fullmatch(self.text, end) is not None)
            if not cut or too_long or not self.more():
                self.last_text, self.at = self.text[self.at: end], end
                return value

    def integer_words(self) -> list[str]:
        """The run of integers (each with its comma) at the cursor, as words (maybe none)."""
        match = _INTEGERS.match(self.text, self.at)
        if match is None:
            return []
        words = self.text[self.at: match.end()].split(",")
        self.at = match.end()
        return words[:-1]

    def error(self, message: str, position: int) -> IdsJsonError:
        line = self.lines_dropped + self.text.count("\n", 0, position) + 1
        return IdsJsonError(f"stdin starts with '{{' but is not JSON ({message}, line "
                            f"{line}); give `seqlab tokenize encode` output, plain or --json")


def json_id_words(head: str, read: Callable[[int], str],
                  chunk_chars: int) -> Iterator[list[str]]:
    """The elements of the "ids" list of the JSON object that starts `head` and goes on in
    `read(chunk_chars)`, as words (an element that is not a string as its JSON text), a
    bounded list at a time; an `IdsJsonError` for JSON that is not such an object, or that
    says the encoding stopped with an error."""
    stream = _Stream(head, read, chunk_chars)
    stream.take("{", "Expecting '{'")
    seen_ids = False
    if stream.peek() == "}":
        stream.at += 1
    else:
        while True:
            key = stream.value()
            if not isinstance(key, str) or isinstance(key, _LongNumber):
                raise stream.error("Expecting property name enclosed in double quotes",
                                   stream.at)
            stream.take(":", "Expecting ':' delimiter")
            if key == "ids" and stream.peek() == "[":
                if seen_ids:
                    raise IdsJsonError("the JSON on stdin has two \"ids\" lists; give "
                                       "`seqlab tokenize encode --json` output")
                seen_ids = True
                yield from _list_words(stream)
            else:
                value = stream.value()
                if key == "ids":
                    raise IdsJsonError(_NO_IDS)
                if key == "error":
                    raise IdsJsonError(f"the encoding on stdin stopped with an error: {value}")
            if stream.take(",}", "Expecting ',' delimiter") == "}":
                break
    if stream.peek():
        raise stream.error("Extra data", stream.at)
    if not seen_ids:
        raise IdsJsonError(_NO_IDS)


def _list_words(stream: _Stream) -> Iterator[list[str]]:
    """The elements of the list at the cursor ('['), a chunk's worth at a time."""
    stream.take("[", "Expecting '['")
    if stream.peek() == "]":
        stream.at += 1
        return
    while True:
        words = stream.integer_words()
        if words:
            yield words
        value = stream.value()  # an element the run does not cover (the last one, at least)
        # a number as written ("1e2", not Python's 100.0), so an error quotes the user's text
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        yield [value if isinstance(value, str) else
               stream.last_text if number else json.dumps(value)]
        if stream.take(",]", "Expecting ',' delimiter") == "]":
            return
