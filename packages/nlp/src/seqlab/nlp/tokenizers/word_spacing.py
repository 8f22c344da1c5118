"""Spacing of decoded words: no space before closing punctuation or after opening punctuation,
in every script.

Closing: closing brackets (Unicode Pe: `)` `]` `）` `」`), final quotes (Pf: `”` `’`) and the
"other punctuation" that ends a clause or sentence (Po: `,` `.` `!` `?` `%` `。` `、` `،` `؟`
`।` `॥` `！`), but not the Po marks that stand free or open a phrase (`"` `'` `#` `&` `*` `/`
`@` `\\` `¡` `¿` `§` `¶` `·` `†` `‡` `•`, in any width). Opening: opening brackets (Ps: `(`
`「`) and initial quotes (Pi: `“` `‘`). The ASCII quote `"` is both and is left spaced, as
Moses' detokenizer leaves it without a quote count. The space between two words depends only
on those two words (streamed decoding relies on it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Po marks that are not closing punctuation (compared after NFKC, so their fullwidth forms too)
_FREE_STANDING = frozenset("\"#&'*/@\\¡¿§¶·†‡•‽⸘※⁂")
_AFTER_SPACE = re.compile(r" ([^\w\s])")
_BEFORE_SPACE = re.compile(r"([^\w\s]) ")


@lru_cache(maxsize=4096)
def closes(mark: str) -> bool:
    """Whether the character `mark` takes no space before it (closing punctuation)."""
    category = unicodedata.category(mark)
    if category in ("Pe", "Pf"):
        return True
    return category == "Po" and unicodedata.normalize("NFKC", mark) not in _FREE_STANDING


@lru_cache(maxsize=4096)
def opens(mark: str) -> bool:
    """Whether the character `mark` takes no space after it (opening punctuation)."""
    return unicodedata.category(mark) in ("Ps", "Pi")


def join_words(words: list[str] | tuple[str, ...]) -> str:
    """`words` joined by single spaces, less the space before closing and after opening
    punctuation."""
    text = " ".join(words)
    text = _AFTER_SPACE.sub(lambda m: m.group(1) if closes(m.group(1)) else m.group(0), text)
    return _BEFORE_SPACE.sub(lambda m: m.group(1) if opens(m.group(1)) else m.group(0), text)
