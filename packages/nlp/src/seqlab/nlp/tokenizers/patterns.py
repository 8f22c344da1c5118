"""Splitting patterns that cannot hang the process.

A tokenizer file or checkpoint carries its pre-token pattern, so a pattern is untrusted input: a
pattern such as `(a|aa)+$` backtracks for longer than the universe on a line of forty a's. The
built-in patterns are linear-time and run on the standard `re` (fast, as before), or, where they
need Unicode properties such as `\\p{M}` that `re` lacks, on `regex` without a time bound (and on
`re` for ASCII text, through a pattern that splits ASCII text alike). Any other
pattern runs on the `regex` package, whose matcher takes a timeout: a search that runs past
1 s + 1 s per megabyte of text stops with `PatternTimeoutError` naming the pattern. (Restricting
the accepted syntax instead would refuse useful patterns and still miss slow ones.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

SECONDS_BASE = 1.0
SECONDS_PER_CHARACTER = 1e-6


class PatternTimeoutError(ValueError):
    """A tokenizer pattern ran past its time bound (catastrophic backtracking)."""


class Splitter:
    """`findall(text)` with one compiled pattern, bounded in time unless it is a trusted one."""

    def __init__(self, pattern: str, trusted: Iterable[str], what: str,
                 trusted_unicode: Mapping[str, str] | None = None) -> None:
        """`trusted`: linear-time `re` patterns; `trusted_unicode`: linear-time `regex` patterns,
        each mapped to an `re` pattern that splits every ASCII text the same way."""
        self.pattern, self.what = pattern, what
        self._trusted = pattern in set(trusted) or pattern in (trusted_unicode or {})
        self._ascii = None
        if pattern in (trusted_unicode or {}):
            # `regex` (~4 MB resident) is compiled on the first non-ASCII text: ASCII corpora
            # never load it.
            self._compiled = None
            self._ascii = re.compile(trusted_unicode[pattern])
            return
        if self._trusted:  # the built-in `re` patterns load no `regex` (~4 MB resident)
            self._compiled = re.compile(pattern)
            return
        import regex

        try:
            self._compiled = regex.compile(pattern, flags=regex.VERSION0)
        except regex.error as error:
            raise ValueError(f"invalid {what} {pattern!r}: {error}") from error

    def _unicode(self):
        """The compiled trusted `regex` pattern, compiled on first use."""
        if self._compiled is None:
            import regex

            self._compiled = regex.compile(self.pattern, flags=regex.VERSION0)
        return self._compiled

    def findall(self, text: str) -> list:
        """All matches of the pattern in `text` (PatternTimeoutError if it runs away)."""
        compiled, bound = self._pattern_for(text, len(text))
        try:
            return compiled.findall(text, **bound)
        except TimeoutError as error:
            raise self._ran_away(bound, len(text)) from error

    def spans(self, text: str, pos: int = 0, endpos: int | None = None) -> list[tuple[int, int]]:
        """(start, end) of every match `findall` finds in text[:endpos] scanning from `pos`
        (look-behind sees the text before it; `^` and `\\A` match only at 0), in order
        (PatternTimeoutError if it runs away)."""
        end = len(text) if endpos is None else endpos
        compiled, bound = self._pattern_for(text, end - pos)
        try:
            return [match.span() for match in compiled.finditer(text, pos, end, **bound)]
        except TimeoutError as error:
            raise self._ran_away(bound, end - pos) from error

    def _pattern_for(self, text: str, length: int) -> tuple[Any, dict[str, float]]:
        """The compiled pattern to search `text` with (`re` on ASCII text where there is
        one: about 1.5x faster than `regex`), and its time bound for `length` characters
        as keyword arguments (none for a trusted pattern)."""
        if self._ascii is not None:
            return (self._ascii if text.isascii() else self._unicode()), {}
        if self._trusted:
            return self._compiled, {}
        return self._compiled, {"timeout": SECONDS_BASE + SECONDS_PER_CHARACTER * length}

    def _ran_away(self, bound: dict[str, float], length: int) -> PatternTimeoutError:
        return PatternTimeoutError(
            f"the {self.what} {self.pattern!r} ran for more than {bound['timeout']:.1f} s on "
            f"{length:,} characters (it backtracks without end); use a tokenizer with the "
            "default pattern or a simpler one")
