"""Tokenize a corpus on the fly: text pieces cut where no tokenizer can tell, and id blocks.

`iter_chunks` already cuts at line ends, but a cut right after a newline still changes what
GPT-2-style pre-tokenization does with the whitespace around it ("x  \\ny" splits "  ", "\\n"
whole, but "  \\n" when the text ends after the newline). `safe_pieces` re-cuts the stream only
where the tokenization of the whole text has a boundary that every seqlab tokenizer respects:

- right after a "\\n" that follows a non-space character and precedes one ("a\\nb" -> "a\\n" | "b");
- inside a long line, right before a single space between two non-space characters
  ("foo bar" -> "foo" | " bar"), as GPT-2's " ?word" pieces start there.

Character, word and byte-level BPE tokens then come out the same as from the whole text (the
tests prove it on long lines, CRLF, missing final newlines and multi-byte characters split
across chunks). Only a run of `max_carry` characters with no such boundary at all (a huge
word or a long run of blank lines) is cut anywhere.
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
)

if TYPE_CHECKING:
    import numpy as np

# A text carried over without a safe boundary is cut anyway past this many chunk sizes.
MAX_CARRY_CHUNKS = 64
_SPACE_CUT = re.compile(r"(?<=\S) (?=\S)")


def _last_safe_cut(text: str) -> int:
    """The last index where `text` may be cut (see the module docs), or 0 when there is none."""
    end = len(text) - 1  # a cut needs a character after it
    while True:
        newline = text.rfind("\n", 1, end)
        if newline < 0:
            break
        if not text[newline - 1].isspace() and not text[newline + 1].isspace():
            return newline + 1
        end = newline
    last = 0
    for match in _SPACE_CUT.finditer(text, max(0, len(text) - (1 << 16))):
        last = match.start()
    return last


def safe_pieces(chunks: Iterable[str], max_carry: int = MAX_CARRY_CHUNKS * DEFAULT_CHUNK_BYTES
                ) -> Iterator[str]:
    """Re-cut a stream of text chunks at tokenizer-safe boundaries; "".join is unchanged."""
    carry = ""
    for chunk in chunks:
        text = carry + chunk
        cut = _last_safe_cut(text)
        if cut == 0 and len(text) > max_carry:
            cut = len(text)
        if cut:
            yield text[:cut]
            carry = text[cut:]
        else:
            carry = text
    if carry:
        yield carry


def iter_pieces(source: Source, chunk_bytes: int = DEFAULT_CHUNK_BYTES, **options: Any
                ) -> Iterator[str]:
    """The text of `source` (files, folders, '-') as tokenizer-safe pieces of ~chunk_bytes."""
    chunks = iter_chunks(source, chunk_bytes=chunk_bytes, **options)
    return safe_pieces(chunks, MAX_CARRY_CHUNKS * chunk_bytes)


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
        carry = ""
        for chunk in iter_chunks(self.source, chunk_bytes=self.chunk_bytes, **self.options):
            lines = (carry + chunk).split("\n")
            carry = lines.pop()
            for line in lines:
                tokens = self.tokenize(line)
                if tokens:
                    yield tokens
        if carry:
            tokens = self.tokenize(carry)
            if tokens:
                yield tokens


def paths_of(source: Source) -> list[Path]:
    """The files a source names, in reading order (stdin has none)."""
    from seqlab.nlp.corpora.reading import STDIN, resolve_paths

    return [Path(p) for p in resolve_paths(source) if p != STDIN]
