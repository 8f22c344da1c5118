"""Tokenize a corpus on the fly: text pieces cut where no tokenizer can tell, and id blocks.

`iter_chunks` already cuts at line ends, but a cut right after a newline still changes what
GPT-2-style pre-tokenization does with the whitespace around it ("x  \\ny" splits "  ", "\\n"
whole, but "  \\n" when the text ends after the newline). `safe_pieces` re-cuts the stream only
where the tokenization of the whole text has a boundary that every seqlab tokenizer respects:

- right after a "\\n" that follows a non-space character and precedes one ("a\\nb" -> "a\\n" | "b");
- between the "\\r" and "\\n" of a CRLF line end in the same place ("a\\r\\nb" -> "a\\r" | "\\nb":
  GPT-2's pattern splits "\\r", "\\n" there in the whole text too);
- inside a long line, right before a single space between two non-space characters
  ("foo bar" -> "foo" | " bar"), as GPT-2's " ?word" pieces start there.

Character, word and byte-level BPE tokens then come out the same as from the whole text (the
tests prove it on long lines, CRLF, lone CR, missing final newlines and multi-byte characters
split across chunks). A stretch of text with no such boundary (one huge word, a long run of
blank lines) is carried whole until one comes, never cut: memory is then that stretch's, as a
line's is in a line reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.nlp.corpora.reading import (
    COUNTING_CHUNK_BYTES,
    DEFAULT_CHUNK_BYTES,
    Source,
    iter_chunks,
    iter_lines,
)

if TYPE_CHECKING:
    import numpy as np

_SPACE_CUT = re.compile(r"(?<=\S) (?=\S)")
# A cut found near the end of a chunk is enough; the whole chunk is searched only when none is.
_SEARCH_TAIL = 1 << 16
# Characters a cut needs to see before it (the "a\r" of "a\r|\nb").
_CONTEXT = 2


def _last_safe_cut(text: str) -> int:
    """The last index where `text` may be cut (see the module docs), or 0 when there is none."""
    end = len(text) - 1  # a cut needs a character after it
    while True:
        newline = text.rfind("\n", 1, end)
        if newline < 0:
            break
        if not text[newline + 1].isspace():
            before = text[newline - 1]
            if not before.isspace():
                return newline + 1
            if before == "\r" and newline >= 2 and not text[newline - 2].isspace():
                return newline  # "a\r" | "\nb"
        end = newline
    # no line end to cut at: a single space inside a line, near the end first
    for start in (max(0, len(text) - _SEARCH_TAIL), 0):
        last = 0
        for match in _SPACE_CUT.finditer(text, max(0, start - _CONTEXT)):
            last = match.start()
        if last or start == 0:
            return last
    return 0


def safe_pieces(chunks: Iterable[str]) -> Iterator[str]:
    """Re-cut a stream of text chunks at tokenizer-safe boundaries; "".join is unchanged.

    Only the new chunk (and the carried text's last characters, as context) is searched for a
    cut, and carried text is joined only when one is found, so a long stretch without one costs
    linear time."""
    parts: list[str] = []  # text carried over: no safe cut inside it
    context = ""  # its last _CONTEXT characters
    for chunk in chunks:
        if not chunk:
            continue
        text = context + chunk
        cut = _last_safe_cut(text)
        if cut == 0:
            parts.append(chunk)
            context = text[-_CONTEXT:]
            continue
        carried = "".join(parts)
        joined = carried + chunk
        at = len(carried) - len(context) + cut
        yield joined[:at]
        rest = joined[at:]
        parts = [rest] if rest else []
        context = joined[-_CONTEXT:]
    if parts:
        yield "".join(parts)


def iter_pieces(source: Source, chunk_bytes: int = DEFAULT_CHUNK_BYTES, **options: Any
                ) -> Iterator[str]:
    """The text of `source` (files, folders, '-') as tokenizer-safe pieces of ~chunk_bytes."""
    return safe_pieces(iter_chunks(source, chunk_bytes=chunk_bytes, **options))


def encode_line_pieces(pieces: Iterable[str], encode, eos_id: int) -> Iterator[np.ndarray]:
    """Ids of every non-blank line followed by `eos_id` (the word-level LM stream), piece by
    piece: a line cut between pieces is continued, and ends with one </s>."""
    import numpy as np  # here: counting a corpus (tokenize train) loads no NumPy

    line_has_words = False
    for piece in pieces:
        lines = piece.split("\n")
        partial = lines.pop()  # text after the piece's last newline: a line still going on
        ids: list[int] = []
        for line in lines:
            if line_has_words or line.strip():
                ids.extend(encode(line))
                ids.append(eos_id)
            line_has_words = False
        if partial.strip():
            ids.extend(encode(partial))
            line_has_words = True
        if ids:
            yield np.asarray(ids, dtype=np.int64)
    if line_has_words:  # the text ends without a newline: its last line still ends with </s>
        yield np.asarray([eos_id], dtype=np.int64)


def stream_token_ids(source: Source, tokenizer, line_eos: bool = False,
                     chunk_bytes: int = DEFAULT_CHUNK_BYTES, **options: Any
                     ) -> Iterator[np.ndarray]:
    """Token ids of a corpus, block by block, equal to encoding the whole text at once.

    `line_eos=True` gives the word-level language-model stream: each non-blank line's ids and
    then the tokenizer's </s>. Options are `iter_chunks`'s (encoding, errors, pattern, stdin).
    """
    return encode_pieces(iter_pieces(source, chunk_bytes, **options), tokenizer, line_eos)


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

    gensim's `LineSentence` for seqlab's tokenizers: nothing but one chunk is held, so a
    word2vec epoch or an n-gram count streams any corpus size. `tokenize` maps a line to tokens.
    The chunks are `COUNTING_CHUNK_BYTES` by default: a chunk's lines are all held at once.
    """

    def __init__(self, source: Source, tokenize, chunk_bytes: int = COUNTING_CHUNK_BYTES,
                 **options: Any) -> None:
        self.source = [str(s) for s in source] if isinstance(source, list | tuple) else source
        if str(self.source) == "-" or (isinstance(self.source, list) and "-" in self.source):
            raise ValueError("stdin cannot be read twice: save it to a file first")
        self.tokenize = tokenize
        self.chunk_bytes = chunk_bytes
        self.options = options

    def __iter__(self) -> Iterator[list[str]]:
        # keep_cr: a line is tokenized as `str.split("\n")` of the whole text gives it (a "\r"
        # before the "\n" stays for the tokenizer to see)
        lines = iter_lines(self.source, chunk_bytes=self.chunk_bytes, keep_cr=True,
                           **self.options)
        for line in lines:
            tokens = self.tokenize(line)
            if tokens:
                yield tokens


def paths_of(source: Source) -> list[Path]:
    """The files a source names, in reading order (stdin has none)."""
    from seqlab.nlp.corpora.reading import STDIN, resolve_paths

    return [Path(p) for p in resolve_paths(source) if p != STDIN]
