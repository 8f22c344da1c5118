"""Lines of text as n-gram sentences: word tokens or characters, streamed from files."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from seqlab.nlp.ngram.kenlm_split import kenlm_split

if TYPE_CHECKING:
    from seqlab.nlp.corpora import FileRange

# ARPA separates tokens by whitespace, so a character-level model spells the space as this.
SPACE = "\u2581"
LEVELS = ("word", "whitespace", "char")
# the word level's patterns by the name a model records (`mark.WORD_PATTERN_NAMES`):
# "graphemes" (the word tokenizer's default) or the ones before it, which old models were
# trained with ("marks": combining marks kept, one code point per punctuation token)
WORD_PATTERNS = ("graphemes", "marks", "before-marks")
# A character that is not Unicode White_Space: U+001C-U+001F are symbols, as the word
# tokenizer (and Hugging Face, and `regex`'s \s) reads them, though `str.isspace()` holds them.
_NOT_BLANK = re.compile(r"[^\s]|[\x1c-\x1f]")


def is_blank(text: str) -> bool:
    """Whether `text` holds only Unicode White_Space (so not U+001C-U+001F): a character-level
    line with no tokens. The word levels need no such test: a line is blank when it has no
    tokens."""
    return _NOT_BLANK.search(text) is None


@dataclass(frozen=True)
class LineTokens:
    """A line's tokens: words (punctuation split off as tokens), whitespace-separated tokens
    (split on ASCII whitespace only, `kenlm_split`, as KenLM's lmplz reads text) or
    characters; a blank line has none (at the word levels a line with no tokens; for
    characters one of only Unicode White_Space, so U+001C-U+001F make a line, as they make
    word tokens for the word tokenizer, word2vec and the word-level LM stream).

    A plain, picklable object, so that Dask workers tokenize exactly as the client does.
    """

    level: str = "word"
    lowercase: bool = False
    errors: str = "strict"  # how `file_sentences` decodes bytes that are not UTF-8
    pattern: str = "graphemes"  # the word level's pattern (WORD_PATTERNS)
    _tokenize: object = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {self.level!r}")
        if self.pattern not in WORD_PATTERNS:
            raise ValueError(f"pattern must be one of {', '.join(WORD_PATTERNS)}, "
                             f"got {self.pattern!r}")

    def __call__(self, line: str) -> list[str]:
        if self.level == "whitespace":
            return kenlm_split(line.lower() if self.lowercase else line)
        if self.level == "char" and is_blank(line):
            return []
        line = line.lower() if self.lowercase else line
        if self.level == "char":
            return [SPACE if ch == " " else ch for ch in line]
        if self._tokenize is None:
            from seqlab.nlp.tokenizers import WordTokenizer
            from seqlab.nlp.tokenizers.word import (
                DEFAULT_PATTERN,
                PATTERN_BEFORE_MARKS,
                PATTERN_MARKS,
            )

            pattern = {"graphemes": DEFAULT_PATTERN, "marks": PATTERN_MARKS,
                       "before-marks": PATTERN_BEFORE_MARKS}[self.pattern]
            object.__setattr__(self, "_tokenize", WordTokenizer(pattern=pattern).tokenize)
        return self._tokenize(line)

    def recorded(self) -> dict[str, str | bool]:
        """The tokenization a model trained on these tokens records (see `mark`): the word
        level names its pattern."""
        recorded: dict[str, str | bool] = {"level": self.level, "lowercase": self.lowercase}
        if self.level == "word":
            recorded["pattern"] = self.pattern
        return recorded

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
                blank = blank and is_blank(part)
            else:
                new = self(part)
            tokens.extend(map(shared.setdefault, new, new))
        return [] if blank and self.level == "char" else tokens

    def part_tokens(self, part: str) -> list[str]:
        """The tokens of `part`, a part of a line (cut at whitespace) that is not blank as a
        whole: at the character level a blank part is spaces, not a blank line."""
        if self.level != "char":
            return self(part)
        part = part.lower() if self.lowercase else part
        return [SPACE if ch == " " else ch for ch in part]

    def __getstate__(self) -> dict:
        return {"level": self.level, "lowercase": self.lowercase, "errors": self.errors}

    def __setstate__(self, state: dict) -> None:
        object.__setattr__(self, "level", state["level"])
        object.__setattr__(self, "lowercase", state["lowercase"])
        object.__setattr__(self, "errors", state.get("errors", "strict"))
        object.__setattr__(self, "_tokenize", None)


class ContinuedLine(list):
    """The first tokens of a line too long to hold whole (longer than a reading chunk): the
    line's next tokens come as the next item of the same stream, a `ContinuedLine` again
    while the line goes on, a plain list for its last tokens.

    `file_sentences(..., in_parts=True)` yields these; the readers that take them
    (`NgramLanguageModel.fit_external`, `perplexity`, `streamed.train_kneser_ney_arpa`)
    count and score the parts as one sentence, so a line of any length streams through in
    memory set by the budget; `fit` and `sentence_logprobs` join them (`whole_sentences`).
    Anything else should pass the stream through `whole_sentences` first.
    """


class FoundCharacter(NamedTuple):
    """Where `find_characters` found one of the characters it looked for (line: 1-based)."""

    path: str
    line: int
    character: str


def find_characters(paths: Sequence[str | Path], characters: str, errors: str = "strict"
                    ) -> FoundCharacter | None:
    """The first of `characters` in the text of `paths` (files and folders; '-' is skipped:
    stdin is read once), with its file and line, or None: one streamed pass, so that a
    character-level model can refuse its text before counting it."""
    from seqlab.nlp.corpora import iter_chunks, resolve_paths

    wanted = re.compile("[" + re.escape(characters) + "]")
    files = [p for p in resolve_paths([str(p) for p in paths if str(p) != "-"])] \
        if any(str(p) != "-" for p in paths) else []
    for path in files:
        lines = 0
        for chunk in iter_chunks(str(path), errors=errors):
            found = wanted.search(chunk)
            if found is not None:
                line = lines + chunk.count("\n", 0, found.start()) + 1
                return FoundCharacter(str(path), line, found.group())
            lines += chunk.count("\n")
    return None


def as_sentences(sentences: Iterable[Sequence[str]] | str) -> Iterable[Sequence[str]]:
    """`sentences`, or `[sentences]` when it is one str: a str where sentences go is one
    sentence, as KenLM's `Model.perplexity("the cat sat")` takes it (iterating it would make
    each character a sentence of its own)."""
    return [sentences] if isinstance(sentences, str) else sentences


def training_sentences(sentences: Iterable[Sequence[str]] | str) -> Iterable[Sequence[str]]:
    """`sentences` to estimate from, or, when it is one str, that one sentence split on
    whitespace (`kenlm_split`), as lmplz reads text and as `perplexity("the cat sat")` reads
    it for a word model. A str sentence inside `sentences` stays its characters (a
    character-level model: `fit(["the cat"])`)."""
    return [kenlm_split(sentences)] if isinstance(sentences, str) else sentences


def whole_sentences(items: Iterable[Sequence[str]]) -> Iterator[Sequence[str]]:
    """`items` with each run of `ContinuedLine` parts joined to the part ending it: whole
    sentences (a long line's tokens then held at once)."""
    pending: list[str] | None = None
    for item in items:
        if isinstance(item, ContinuedLine):
            if pending is None:
                pending = list(item)
            else:
                pending.extend(item)  # (a new list each part copied the line k^2 / 2 times)
            continue
        if pending is not None:
            pending.extend(item)
            item, pending = pending, None
        yield item
    if pending is not None:
        yield pending


def file_sentences(paths: Sequence[str | Path | FileRange], line_tokens: LineTokens,
                   errors: str | None = None, in_parts: bool = False,
                   blank_lines: bool = False, stdin: BinaryIO | None = None
                   ) -> Iterator[list[str]]:
    """The non-empty token lists of the lines of `paths` (files, or byte ranges of files as
    `corpora.FileRange`), streamed in order (decoded as `errors`, by default
    `line_tokens.errors`). A line longer than a chunk is tokenized part by part (cut at
    whitespace): its tokens, not its text, are held; with `in_parts` not even those: such a
    line comes as `ContinuedLine` parts of about a chunk each, then a plain list.

    With `blank_lines`, a line without tokens comes too, as an empty list: a sentence of zero
    words, whose </s> KenLM's `query` and `Model.perplexity("")` score (for evaluation;
    counting for training leaves blank lines out). `stdin`: the byte stream a '-' among
    `paths` reads (default `sys.stdin.buffer`; `character_watch.WatchedStream` checks it)."""
    from seqlab.nlp.corpora import COUNTING_CHUNK_BYTES, FileRange, iter_line_parts

    pieces = [p if isinstance(p, FileRange) else str(p) for p in paths]
    # what LineTokens does for whitespace tokens, without a Python call per line
    whole = kenlm_split if line_tokens.level == "whitespace" and not line_tokens.lowercase \
        else line_tokens
    # counting chunks: a long line's part (up to 5 chunks) is split into tokens at once
    parts = iter_line_parts(pieces, errors=errors or line_tokens.errors,
                            chunk_bytes=COUNTING_CHUNK_BYTES, stdin=stdin)
    for part, ends in parts:
        # a whole line (the usual case), or one longer than a chunk: tokenized part by part
        if ends:
            tokens = whole(part)
        elif in_parts:
            line_parts = _line_in_parts(line_tokens, _rest_of_line(part, parts))
            first = next(line_parts, None)
            if first is not None:
                yield first
                yield from line_parts
            elif blank_lines:  # a long line of blanks
                yield []
            continue
        else:
            tokens = line_tokens.of_parts(_rest_of_line(part, parts))
        if tokens or blank_lines:
            yield tokens


def _line_in_parts(line_tokens: LineTokens, parts: Iterator[str]) -> Iterator[list[str]]:
    """One long line's tokens as `ContinuedLine` parts and a last plain list (nothing for a
    line without tokens). One part is held back, so that the last non-empty one is known; at
    the character level whitespace is held until the line shows a non-space character (a
    blank line has no tokens; so a line starting with megabytes of blanks holds them)."""
    held: list[str] = []
    # char level: the line's text so far, while it is all blank
    blank_text: list[str] | None = [] if line_tokens.level == "char" else None
    for part in parts:
        if blank_text is not None:
            if is_blank(part):
                blank_text.append(part)
                continue
            part, blank_text = "".join(blank_text) + part, None
        tokens = line_tokens.part_tokens(part)
        if not tokens:
            continue
        if held:
            yield ContinuedLine(held)
        held = tokens
    if held:
        yield held


def _rest_of_line(first: str, parts: Iterator[tuple[str, bool]]) -> Iterator[str]:
    """`first`, then the parts of `parts` up to the one ending the line."""
    yield first
    for part, ends in parts:
        yield part
        if ends:
            return
