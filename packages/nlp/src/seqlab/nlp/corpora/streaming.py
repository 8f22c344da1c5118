"""Tokenize a corpus on the fly: text pieces cut where no tokenizer can tell, and id blocks.

`iter_chunks` already cuts at line ends, but a cut right after a newline still changes what
GPT-2-style pre-tokenization does with the whitespace around it ("x  \\ny" splits "  ", "\\n"
whole, but "  \\n" when the text ends after the newline). `safe_pieces` re-cuts the stream only
where the tokenization of the whole text has a boundary the tokenizer respects:

- with a built-in pattern (the BPE pre-token and word patterns, and the character
  tokenizer): right before a whitespace character (by `re` and by Unicode's White_Space, so
  not \x1c-\x1f) that precedes a non-space one ("foo bar" ->
  "foo" | " bar", "a\\n\\tb" -> "a\\n" | "\\tb", "a\\r\\nb" -> "a\\r" | "\\nb"): GPT-2's
  " ?word" pieces start there, its `\\s+(?!\\S)` leaves that last whitespace character to the
  next piece, and the word pattern never holds whitespace (a property test checks it against
  tokenizing the whole text);
- with any other pattern (a tokenizer file may carry its own; cl100k-style patterns keep
  "\\r\\n" and runs of whitespace together), given that pattern: at a whitespace boundary
  where the pattern's matches of the two sides apart are those of the two together
  (`_checked_cut`), on LF, CRLF or CR text alike (GPT-2's pattern, for one, splits "a\\r\\nb"
  as "\\r", "\\n" in the whole text but takes "\\r\\n" whole at a piece's end: the check
  finds "a\\r" | "\\nb" instead); without the pattern, only right after a bare "\\n" between
  two non-space characters ("a\\nb" -> "a\\n" | "b"). A pattern whose look-behind or
  look-ahead may see `CHECKED_MARGIN` characters or more (`lookaround.lookaround_reach`) is
  never cut by choice: the text is kept whole, up to `max_carry` characters.

Character, word and byte-level BPE tokens then come out the same as from the whole text (the
tests prove it on long lines, CRLF, lone CR, missing final newlines and multi-byte characters
split across chunks). A stretch of `max_carry` characters with no such boundary (one huge
word, a long run of blank lines, a custom pattern on text without plain line ends) is cut
anyway, with a one-line warning, so memory stays bounded.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.nlp.corpora.reading import (
    COUNTING_CHUNK_BYTES,
    DEFAULT_CHUNK_BYTES,
    Source,
    iter_chunks,
    iter_lines,
    line_part_batches,
)

if TYPE_CHECKING:
    import numpy as np

# A text carried over without a safe boundary is cut anyway past this many chunk sizes.
MAX_CARRY_CHUNKS = 64
MIN_CARRY = 1 << 16  # and never before this many characters (tiny test chunks, long words)
# Before whitespace that precedes a non-space character, both by `re`'s \s and by Unicode's
# White_Space (`regex`'s \s, Hugging Face's split): `re`'s alone also holds \x1c-\x1f, which
# GPT-2's split as HF writes it (the default BPE pattern) reads as symbols (" \x1c" is one).
_WHITESPACE_CUT = re.compile(r"(?![\x1c-\x1f])\s(?=\S)")
# Tail windows searched for the last cut, shortest first (ordinary text has one in the first).
_WINDOWS = (256, 1 << 12, 1 << 16)
# Characters a cut needs to see before it: "a\n|b" looks 2 back, the carried "x\r" of
# "x\r|\nb" with the "\n" in the new chunk 3 (the last carried character may start a cut).
_CONTEXT = 3
# A pattern-checked cut keeps this many characters after it in the text it was checked on, so
# that a pattern's look-ahead and look-behind across the cut see checked text.
CHECKED_MARGIN = 256
_MAX_CHECKS = 8  # candidate cuts tokenized on each side before the text is carried on
_log = logging.getLogger(__name__)


def builtin_pattern(tokenizer: Any) -> bool:
    """Whether `tokenizer` splits text with a built-in pattern (or none: characters), so that
    the whitespace cuts of `safe_pieces` are safe for it."""
    from seqlab.nlp.tokenizers.bpe_patterns import BUILTIN_PRETOKEN_PATTERNS
    from seqlab.nlp.tokenizers.word import BUILTIN_PATTERNS

    pattern = getattr(tokenizer, "pattern", None)
    return pattern is None or pattern in (*BUILTIN_PRETOKEN_PATTERNS, *BUILTIN_PATTERNS)


def _last_whitespace_cut(text: str) -> int:
    """The last index before a whitespace character followed by a non-space one, or 0."""
    for window in (*_WINDOWS, len(text)):
        last = 0
        for match in _WHITESPACE_CUT.finditer(text, max(0, len(text) - window)):
            last = match.start()
        if last or window >= len(text):
            return last
    return 0


def _last_line_cut(text: str) -> int:
    """The last index just after a "\\n" between two non-space characters ("a\\n|b"), or 0.

    Only a bare "\\n" is a cut: a piece ending in "\\r\\n" is not safe for every pattern
    (GPT-2's `\\s+(?!\\S)|\\s+` splits "a\\r\\nb" as "\\r", "\\n" but takes "\\r\\n" whole
    at a piece's end), so CRLF text falls back to the forced cut of `safe_pieces`."""
    end = len(text) - 1  # a cut needs a character after it
    while True:
        newline = text.rfind("\n", 1, end)
        if newline < 0:
            return 0
        if not text[newline - 1].isspace() and not text[newline + 1].isspace():
            return newline + 1
        end = newline


Spans = Callable[..., list[tuple[int, int]]]  # Splitter.spans(text, pos, endpos)


def _checked_cut(text: str, spans: Spans, synced: int
                 ) -> tuple[int, int, list[tuple[int, int]]]:
    """(cut, sync point, matches) for `text`, a piece's text so far, which the pattern's scan from
    index `synced` (0, or a match start of the scan from 0) reads as the scan from 0 does.

    The cut is the last index at a whitespace boundary (just after the last whitespace
    character before a non-space one, or just before it), past `synced` and at least
    `CHECKED_MARGIN` characters before the end, where the pattern's matches of text[:cut]
    and of text[cut:] are those of the text together: tokenizing the two sides apart equals
    tokenizing them together (0 when none of the last `_MAX_CHECKS` candidates is). Only the
    text after `synced` is scanned whole; each side is checked on the `CHECKED_MARGIN`
    characters around the cut, which is exact for patterns that look fewer characters than
    that past where a match starts or ends. The sync point returned is the last match start
    at least 2 * `CHECKED_MARGIN` characters before the end (for the text grown by more
    chunks: a cut `CHECKED_MARGIN` past it may then lie anywhere in the next chunk, however
    small). The matches are the scan's from `synced`: with a cut, those before it are
    text[:cut]'s, what its tokenizer would find again (`_words_before`), only when `synced`
    was 0 (the scan from a later sync point misses the matches before it)."""
    limit = len(text) - CHECKED_MARGIN
    if limit <= synced:
        return 0, synced, []
    whole = spans(text, synced)
    starts = [start for start, _ in whole]
    candidates: list[int] = []
    for window in (*_WINDOWS, limit + 1):
        begin = max(synced, limit + 1 - window)
        for match in _WHITESPACE_CUT.finditer(text, begin, limit + 2):
            candidates.extend((match.end(), match.start()))  # after the run, before its last
        candidates = sorted({c for c in candidates if synced < c <= limit}, reverse=True)
        if len(candidates) >= _MAX_CHECKS or begin == synced:
            break
    checked = 0
    for cut in candidates:
        after = bisect.bisect_left(starts, cut)
        if after and whole[after - 1][1] > cut:  # a match over the cut: no need to look
            continue
        checked += 1
        if checked > _MAX_CHECKS:
            break
        # text[:cut] scanned from the start reads as the whole text up to a match starting
        # CHECKED_MARGIN before the cut (nothing before it looks as far as the cut)
        near = bisect.bisect_right(starts, cut - CHECKED_MARGIN) - 1
        if near < 0 and synced:  # no match start far enough back to read text[:cut] from
            continue
        first, left_from = (near, starts[near]) if near >= 0 else (0, 0)
        right = [(begin + cut, end + cut) for begin, end in spans(text[cut:])]
        if whole[after:] == right and whole[first:after] == spans(text, left_from, cut):
            return cut, 0, whole
    last = bisect.bisect_right(starts, limit - CHECKED_MARGIN) - 1
    return 0, (starts[last] if last >= 0 else synced), whole


def _words_before(piece: str, whole: list[tuple[int, int]]) -> Iterator[str]:
    """The texts of the matches `whole` (a scan from 0 of a text that `piece` starts) that
    lie in `piece`: what the pattern's `findall(piece)` gives when `_checked_cut` cut the
    text after `piece`."""
    end = bisect.bisect_left(whole, (len(piece), -1))
    return (piece[start:stop] for start, stop in itertools.islice(whole, end))


def _checked_pieces(chunks: Iterable[str], max_carry: int, spans: Spans,
                    with_words: bool = False) -> Iterator[Any]:
    """`safe_pieces` for a tokenizer's own pattern: each cut checked by `_checked_cut`, the
    text carried without one scanned again only from its last sync point (linear time), and
    cut anyway past `max_carry` characters, with one warning. `with_words`: (piece, words)
    pairs, words an iterator over the pattern's matches in the piece where the check scanned
    all of it (the tokenizer need not scan it again), else None."""
    carried = ""  # text with no cut found yet
    synced = 0
    forced = _ForcedCut("warning: %d characters of the corpus with no cut where the "
                        "tokenizer's pattern splits the same (a huge word or whitespace "
                        "run); cut there to bound memory, so the tokens at the cut may "
                        "differ from tokenizing the text whole")
    for chunk in chunks:
        if not chunk:
            continue
        text = carried + chunk
        scanned_from = synced
        cut, synced, whole = _checked_cut(text, spans, synced)
        if cut:
            piece, carried = text[:cut], text[cut:]
            # the words one at a time (a list would be as large again as the matches); a scan
            # from a later sync point lacks the piece's first matches: the tokenizer scans it
            words = _words_before(piece, whole) if with_words and not scanned_from else None
            del whole, text
            yield (piece, words) if with_words else piece
            words = None  # the matches are let go before the next chunk is scanned
            continue
        del whole
        if forced.due(len(text), max_carry):
            yield (text, None) if with_words else text
            carried, synced = "", 0
        else:
            carried = text
    if carried:
        yield (carried, None) if with_words else carried


class _ForcedCut:
    """A stream's cut by force past `max_carry` characters, warned once (`message` takes the
    number of characters)."""

    def __init__(self, message: str) -> None:
        self.message, self.warned = message, False

    def due(self, size: int, max_carry: int) -> bool:
        """Whether `size` carried characters must be cut now (warning the first time)."""
        if size <= max_carry:
            return False
        if not self.warned:
            _log.warning(self.message, size)
            self.warned = True
        return True


def _uncut_pieces(chunks: Iterable[str], max_carry: int) -> Iterator[str]:
    """`safe_pieces` for a pattern whose look-arounds may look `CHECKED_MARGIN` characters or
    further: no cut can be checked, so the text is kept whole and cut only past `max_carry`
    characters, with one warning (the tokens at such a cut may differ)."""
    parts: list[str] = []
    size = 0
    forced = _ForcedCut("warning: the tokenizer's pattern has a look-behind or look-ahead that "
                        f"may see {CHECKED_MARGIN} characters or more, so no cut can be "
                        "checked; the corpus is cut every %d characters to bound memory, and "
                        "the tokens at those cuts may differ from tokenizing the text whole")
    for chunk in chunks:
        if not chunk:
            continue
        parts.append(chunk)
        size += len(chunk)
        if forced.due(size, max_carry):
            yield "".join(parts)
            parts, size = [], 0
    if parts:
        yield "".join(parts)


def _cut_checker(token_pattern: str) -> Spans | None:
    """The scan `_checked_pieces` checks cuts with for `token_pattern`, or None when its
    look-arounds may see `CHECKED_MARGIN` characters or more (or cannot be bounded): no cut
    could be checked exactly."""
    from seqlab.nlp.corpora.lookaround import lookaround_reach
    from seqlab.nlp.tokenizers.patterns import Splitter

    reach = lookaround_reach(token_pattern)
    if reach is None or reach >= CHECKED_MARGIN:
        return None
    return Splitter(token_pattern, (), "tokenizer pattern").spans


def safe_pieces(chunks: Iterable[str],
                max_carry: int = MAX_CARRY_CHUNKS * DEFAULT_CHUNK_BYTES,
                builtin: bool = True, token_pattern: str | None = None) -> Iterator[str]:
    """Re-cut a stream of text chunks at tokenizer-safe boundaries; "".join is unchanged.

    `builtin`: the tokenizer uses a built-in pattern (see `builtin_pattern`). Otherwise, given
    the tokenizer's `token_pattern`, a cut is made only where that pattern splits the two
    sides apart as it splits them together (`_checked_cut`: exact for any pattern whose
    look-ahead and look-behind span fewer than `CHECKED_MARGIN` characters, on LF, CRLF or CR
    text; a pattern whose look-arounds may look further, or cannot be bounded, is not cut
    but at `max_carry`); without it, only after a bare "\\n" between non-space characters.
    Text carried past `max_carry` characters without a safe cut is cut at its end (one
    warning per stream). Only the new chunk (and the carried text's last characters, as
    context) is searched for a built-in or line cut, and carried text is joined only when one
    is found, so a long stretch without one costs linear time."""
    if not builtin and token_pattern is not None:
        spans = _cut_checker(token_pattern)
        if spans is None:
            yield from _uncut_pieces(chunks, max_carry)
        else:
            yield from _checked_pieces(chunks, max_carry, spans)
        return
    last_cut = _last_whitespace_cut if builtin else _last_line_cut
    parts: list[str] = []  # text carried over: no safe cut inside it
    carried_size = 0
    context = ""  # its last _CONTEXT characters
    forced = _ForcedCut("warning: %d characters of the corpus with no tokenizer-safe cut (a "
                        "huge word or whitespace run" + ("" if builtin else ", or a custom "
                        "pattern on text without plain line ends") + "); cut there to bound "
                        "memory, so the tokens at the cut may differ from tokenizing the text "
                        "whole")
    for chunk in chunks:
        if not chunk:
            continue
        text = context + chunk
        cut = last_cut(text)
        at = carried_size - len(context) + cut  # the cut's index in carried + chunk
        if cut == 0 or at <= 0:  # none, or one before the carried text (already yielded)
            parts.append(chunk)
            carried_size += len(chunk)
            context = text[-_CONTEXT:]
            if forced.due(carried_size, max_carry):
                yield "".join(parts)
                parts, carried_size = [], 0
            continue
        joined = "".join(parts) + chunk
        yield joined[:at]
        rest = joined[at:]
        parts, carried_size = [rest], len(rest)
        context = joined[-_CONTEXT:]
    if parts:
        yield "".join(parts)


def iter_pieces(source: Source, chunk_bytes: int = DEFAULT_CHUNK_BYTES, builtin: bool = True,
                token_pattern: str | None = None, **options: Any) -> Iterator[str]:
    """The text of `source` (files, folders, '-') as tokenizer-safe pieces of ~chunk_bytes
    (`builtin`, `token_pattern`: as in `safe_pieces`; cut anyway past `MAX_CARRY_CHUNKS`
    chunks)."""
    return safe_pieces(iter_chunks(source, chunk_bytes=chunk_bytes, **options),
                       _max_carry(chunk_bytes), builtin, token_pattern)


def _max_carry(chunk_bytes: int) -> int:
    """How much text a piece may carry before it is cut anyway: `MAX_CARRY_CHUNKS` chunks, and
    never under `MIN_CARRY`."""
    return max(MAX_CARRY_CHUNKS * chunk_bytes, MIN_CARRY)


def token_pattern(tokenizer: Any) -> str | None:
    """The pattern a tokenizer splits text with when it is not a built-in one (what
    `safe_pieces` checks its cuts with), None otherwise."""
    return None if builtin_pattern(tokenizer) else tokenizer.pattern


def encode_line_pieces(pieces: Iterable[str], encode, eos_id: int) -> Iterator[np.ndarray]:
    """Ids of every line that has tokens, each followed by `eos_id` (the word-level LM
    stream), piece by piece: a line cut between pieces is continued, and ends with one </s>.

    A line is blank when `encode` gives it no ids, never by `str.strip()` (which also drops
    U+001C-U+001F, symbols to the word tokenizer): the pieces are cut where the tokenizer
    splits the same, so the ids of a line's parts are those of the line, at any chunk size."""
    import numpy as np  # here: counting a corpus (tokenize train) loads no NumPy

    line_has_words = False
    for piece in pieces:
        lines = piece.split("\n")
        partial = lines.pop()  # text after the piece's last newline: a line still going on
        ids: list[int] = []
        for line in lines:
            line_ids = encode(line) if line else ()
            if line_has_words or line_ids:
                ids.extend(line_ids)
                ids.append(eos_id)
            line_has_words = False
        partial_ids = encode(partial) if partial else ()
        if partial_ids:
            ids.extend(partial_ids)
            line_has_words = True
        if ids:
            yield np.asarray(ids, dtype=np.int64)
    if line_has_words:  # the text ends without a newline: its last line still ends with </s>
        yield np.asarray([eos_id], dtype=np.int64)


def stream_token_ids(source: Source, tokenizer, line_eos: bool = False,
                     chunk_bytes: int = DEFAULT_CHUNK_BYTES, **options: Any
                     ) -> Iterator[np.ndarray]:
    """Token ids of a corpus, block by block, equal to encoding the whole text at once.

    `line_eos=True` gives the word-level language-model stream: the ids of each line that has
    tokens, then the tokenizer's </s>. Options are `iter_chunks`'s (encoding, errors, pattern,
    stdin). The pieces are cut as `builtin_pattern(tokenizer)` allows. A tokenizer with its
    own pattern (no capturing groups) and `encode_words`, with `line_eos=False`, goes through
    `_checked_pieces(with_words=True)`: the matches the cut's check finds are the words it
    encodes.
    """
    pattern = token_pattern(tokenizer)
    spans = None if pattern is None or line_eos or not hasattr(tokenizer, "encode_words") \
        or _has_groups(pattern) else _cut_checker(pattern)
    if spans is not None:  # the check's scan gives the tokenizer its words
        chunks = iter_chunks(source, chunk_bytes=chunk_bytes, **options)
        return _encode_checked(_checked_pieces(chunks, _max_carry(chunk_bytes), spans,
                                               with_words=True), tokenizer)
    pieces = iter_pieces(source, chunk_bytes, builtin_pattern(tokenizer), pattern, **options)
    return encode_pieces(pieces, tokenizer, line_eos)


def _has_groups(pattern: str) -> bool:
    """Whether `pattern` has capturing groups (then `findall` gives the groups, not the
    matches the cut's check found)."""
    import regex

    return regex.compile(pattern, flags=regex.VERSION0).groups > 0


def _encode_checked(pieces: Iterable[tuple[str, Iterator[str] | None]], tokenizer
                    ) -> Iterator[np.ndarray]:
    """Id blocks of (piece, words) from `_checked_pieces`: a piece's words (its pattern
    matches, found by the cut's check) encoded as they are, else the piece's text."""
    import numpy as np

    for piece, words in pieces:
        ids = tokenizer.encode_array(piece) if words is None \
            else np.asarray(tokenizer.encode_words(words), dtype=np.int64)
        if ids.size:
            yield ids


def encode_pieces(pieces: Iterable[str], tokenizer, line_eos: bool = False
                  ) -> Iterator[np.ndarray]:
    """Id blocks of tokenizer-safe pieces (see `stream_token_ids`), one block per piece."""
    if line_eos:
        yield from encode_line_pieces(pieces, tokenizer.encode, tokenizer.eos_id)
        return
    for piece in pieces:
        ids = tokenizer.encode_array(piece)
        if ids.size:
            yield ids


class TokenizedLines:
    """Re-iterable token lists, one per non-blank line, read from disk on every pass.

    gensim's `LineSentence` for seqlab's tokenizers: a word2vec epoch or an n-gram count
    streams any corpus size. `tokenize` maps a line to tokens. The chunks are
    `COUNTING_CHUNK_BYTES` by default: a chunk's lines are all held at once.

    With `max_sentence_length` (gensim's LineSentence takes 10,000), a line's tokens come as
    sentences of at most that many, as LineSentence splits them (10,001 tokens: 10,000 and
    1), and a line longer than a chunk is read in parts cut at whitespace and tokenized part
    by part (`iter_line_parts`: `tokenize` must then never join tokens across whitespace, as
    the word tokenizer and characters do not), so memory is bounded on a one-line corpus.
    Without it, every line comes whole.
    """

    def __init__(self, source: Source, tokenize, chunk_bytes: int = COUNTING_CHUNK_BYTES,
                 max_sentence_length: int | None = None, **options: Any) -> None:
        self.source = [str(s) for s in source] if isinstance(source, list | tuple) else source
        if str(self.source) == "-" or (isinstance(self.source, list) and "-" in self.source):
            raise ValueError("stdin cannot be read twice: save it to a file first")
        if max_sentence_length is not None and max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        self.tokenize = tokenize
        self.chunk_bytes = chunk_bytes
        self.max_sentence_length = max_sentence_length
        self.options = options

    def __iter__(self) -> Iterator[list[str]]:
        # keep_cr: a line is tokenized as `str.split("\n")` of the whole text gives it (a "\r"
        # before the "\n" stays for the tokenizer to see)
        if self.max_sentence_length is not None:
            yield from self._split_sentences(self.max_sentence_length)
            return
        lines = iter_lines(self.source, chunk_bytes=self.chunk_bytes, keep_cr=True,
                           **self.options)
        for line in lines:
            tokens = self.tokenize(line)
            if tokens:
                yield tokens

    def _split_sentences(self, most: int) -> Iterator[list[str]]:
        batches = line_part_batches(self.source, chunk_bytes=self.chunk_bytes, keep_cr=True,
                                    **self.options)
        tokenize = self.tokenize
        pending: list[str] | None = None  # tokens of an open line not yet given
        for parts, last_open in batches:
            if pending is not None:  # the first part continues the open line
                pending.extend(tokenize(parts[0]))
                parts = parts[1:]
                while len(pending) >= most:
                    yield pending[:most]
                    pending = pending[most:]
                if not parts and last_open:
                    continue
                if pending:
                    yield pending
                pending = None
            if last_open:
                pending = tokenize(parts.pop())
            for tokens in map(tokenize, parts):  # whole lines (the usual case)
                if len(tokens) <= most:
                    if tokens:
                        yield tokens
                else:
                    yield from (tokens[i:i + most] for i in range(0, len(tokens), most))
            if pending is not None:
                while len(pending) >= most:
                    yield pending[:most]
                    pending = pending[most:]
        if pending:
            yield pending


def paths_of(source: Source) -> list[Path]:
    """The files a source names, in reading order (stdin has none)."""
    from seqlab.nlp.corpora.reading import STDIN, resolve_paths

    return [Path(p) for p in resolve_paths(source) if p != STDIN]
