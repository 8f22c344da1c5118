"""Lines of text as n-gram sentences: word tokens or characters, streamed from files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
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

    def recorded(self) -> dict[str, str | bool]:
        """The tokenization a model trained on these tokens records (see `mark`)."""
        return {"level": self.level, "lowercase": self.lowercase}

    def of_parts(self, parts: Iterable[str]) -> list[str]:
        """The tokens of the line that is `parts` joined, each part cut at whitespace (as
        `corpora.iter_line_parts` cuts), tokenized one at a time: the line's text is never
        held whole, and its tokens are shared str objects (a token list, not a text)."""
        tokens: list[str] = []
        shared: dict[str, str] = {}
        blank = True
        for part in parts:
            if self.level == "char":
                part = part.lower() if self.lowercase else part
                new = [SPACE if ch == " " else ch for ch in part]
                blank = blank and not part.strip()
            else:
                new = self(part)
            tokens.extend(map(shared.setdefault, new, new))
        return [] if blank and self.level == "char" else tokens

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
    `line_tokens.errors`). A line longer than a chunk is tokenized part by part (cut at
    whitespace): its tokens, not its text, are held."""
    from seqlab.nlp.corpora import COUNTING_CHUNK_BYTES, FileRange, iter_line_parts

    pieces = [p if isinstance(p, FileRange) else str(p) for p in paths]
    # what LineTokens does for whitespace tokens, without a Python call per line
    whole = str.split if line_tokens.level == "whitespace" and not line_tokens.lowercase \
        else line_tokens
    # counting chunks: a long line's part (up to 5 chunks) is split into tokens at once
    parts = iter_line_parts(pieces, errors=errors or line_tokens.errors,
                            chunk_bytes=COUNTING_CHUNK_BYTES)
    for part, ends in parts:
        # a whole line (the usual case), or one longer than a chunk: tokenized part by part
        tokens = whole(part) if ends else line_tokens.of_parts(_rest_of_line(part, parts))
        if tokens:
            yield tokens


def _rest_of_line(first: str, parts: Iterator[tuple[str, bool]]) -> Iterator[str]:
    """`first`, then the parts of `parts` up to the one ending the line."""
    yield first
    for part, ends in parts:
        yield part
        if ends:
            return
