"""Lines of text as n-gram sentences: word tokens or characters, streamed from files."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seqlab.nlp.corpora import FileRange

# ARPA separates tokens by whitespace, so a character-level model spells the space as this.
SPACE = "\u2581"
LEVELS = ("word", "whitespace", "char")


@dataclass(frozen=True)
class LineTokens:
    """A line's tokens: words (punctuation split off as tokens), whitespace-separated tokens
    (`str.split`, as KenLM's
    lmplz reads text) or characters; a blank line has none.

    A plain, picklable object, so that Dask workers tokenize exactly as the client does.
    """

    level: str = "word"
    lowercase: bool = False
    errors: str = "strict"  # how `file_sentences` decodes bytes that are not UTF-8
    _tokenize: object = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {self.level!r}")

    def __call__(self, line: str) -> list[str]:
        if self.level == "whitespace":
            return (line.lower() if self.lowercase else line).split()
        if not line.strip():
            return []
        line = line.lower() if self.lowercase else line
        if self.level == "char":
            return [SPACE if ch == " " else ch for ch in line]
        if self._tokenize is None:
            from seqlab.nlp.tokenizers import WordTokenizer

            object.__setattr__(self, "_tokenize", WordTokenizer().tokenize)
        return self._tokenize(line)

    def __getstate__(self) -> dict:
        return {"level": self.level, "lowercase": self.lowercase, "errors": self.errors}

    def __setstate__(self, state: dict) -> None:
        object.__setattr__(self, "level", state["level"])
        object.__setattr__(self, "lowercase", state["lowercase"])
        object.__setattr__(self, "errors", state.get("errors", "strict"))
        object.__setattr__(self, "_tokenize", None)


def file_sentences(paths: Sequence[str | Path | FileRange], line_tokens: LineTokens,
                   errors: str | None = None) -> Iterator[list[str]]:
    """The non-empty token lists of the lines of `paths` (files, or byte ranges of files as
    `corpora.FileRange`), streamed in order (decoded as `errors`, by default
    `line_tokens.errors`)."""
    from seqlab.nlp.corpora import FileRange, iter_lines

    pieces = [p if isinstance(p, FileRange) else str(p) for p in paths]
    for line in iter_lines(pieces, errors=errors or line_tokens.errors):
        tokens = line_tokens(line)
        if tokens:
            yield tokens
