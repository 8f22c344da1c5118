"""How far a token pattern's look-arounds (`(?<=`, `(?<!`, `(?=`, `(?!`) can look.

`streaming.safe_pieces` checks a cut on the `CHECKED_MARGIN` characters around it, which is
exact only for a pattern whose look-behind and look-ahead see fewer characters than that;
`lookaround_reach` tells it when a pattern's do not."""

from __future__ import annotations

import re
import re._parser as sre_parser  # the parser `re` itself uses: widths of a parsed pattern
from collections.abc import Iterator

LOOKAROUND_OPENERS = ("(?<=", "(?<!", "(?=", "(?!")
# `regex`-only escapes: a property stands for one character, a grapheme for any number
_PROPERTY_ESCAPE = re.compile(r"\\[pP](\{[^}]*\}|[A-Za-z])")
_GRAPHEME_ESCAPE = re.compile(r"\\X")


def _outside_classes(pattern: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of `pattern` from `start` that is neither
    escaped nor part of a character class (`[...]`, with a leading `^` or `]` read as the
    class's own)."""
    index = start
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("^", index + 1):
                index += 1
            if pattern.startswith("]", index + 1):  # a leading "]" is literal
                index += 1
        else:
            yield index, char
        index += 1


def _group_end(pattern: str, start: int) -> int | None:
    """The index of the ")" closing the group opened at `start`, or None."""
    depth = 0
    for index, char in _outside_classes(pattern, start):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return None


def _lookaround_bodies(pattern: str) -> list[str] | None:
    """The text inside every look-around group of `pattern` (nested ones too), or None when
    the pattern cannot be read."""
    bodies: list[str] = []
    for index, char in _outside_classes(pattern):
        if char != "(":
            continue
        opener = next((o for o in LOOKAROUND_OPENERS if pattern.startswith(o, index)), None)
        if opener is not None:
            end = _group_end(pattern, index)
            if end is None:
                return None
            bodies.append(pattern[index + len(opener):end])
    return bodies


def _widest(body: str) -> int | None:
    """The most characters `body` can match, or None (unbounded, or not readable by `re`)."""
    try:
        readable = _GRAPHEME_ESCAPE.sub(r"\\w+", _PROPERTY_ESCAPE.sub(r"\\w", body))
        widest = sre_parser.parse(readable).getwidth()[1]
    except (re.error, ValueError, TypeError, OverflowError, RecursionError):
        return None
    return widest if widest < sre_parser.MAXREPEAT else None


def lookaround_reach(pattern: str) -> int | None:
    """The most characters all of `pattern`'s look-around groups together can look at (0 for
    none), or None when that cannot be bounded (a `*`, `+` or `{n,}` inside one, or syntax
    this reader does not know)."""
    bodies = _lookaround_bodies(pattern)
    if bodies is None:
        return None
    total = 0
    for body in bodies:
        widest = _widest(body)
        if widest is None:
            return None
        total += widest
    return total
