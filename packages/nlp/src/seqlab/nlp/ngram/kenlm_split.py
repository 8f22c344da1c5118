"""Whitespace as KenLM splits on it: the six ASCII bytes space, tab, \\n, \\r, \\v and \\f.

KenLM reads text by bytes (`util/file_piece.cc`'s kSpaces; kenlm's Python `Model.score`
splits `sentence.encode().split()`), so U+00A0, U+3000, U+2028, U+001C and the other spaces
Python's `str.split()` also cuts at are parts of words there. An ARPA file another tool wrote
and the text scored with it are split so here (`kenlm_split`); seqlab's own word and
character tokenizations are not this module's business.
"""

from __future__ import annotations

import re

KENLM_WHITESPACE = " \t\n\r\x0b\x0c"
_KENLM_SPACES = re.compile("[ \t\n\r\x0b\x0c]+")
# What str.split() cuts at besides KENLM_WHITESPACE (every str.isspace() character).
_UNICODE_ONLY_SPACE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                                 "\u205f\u3000]")


def kenlm_split(text: str) -> list[str]:
    """The tokens of `text` between runs of KenLM's whitespace (`KENLM_WHITESPACE`), as
    `[w.decode() for w in text.encode().split()]` gives them; `str.split()`'s speed for text
    with no other Unicode space in it."""
    if _UNICODE_ONLY_SPACE.search(text) is None:
        return text.split()
    return [word for word in _KENLM_SPACES.split(text) if word]
