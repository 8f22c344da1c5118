"""Decode ids that arrive in pieces (a stream too long to hold) to the same text that
decoding them all at once gives, piece by piece: a character whose bytes (byte-level BPE or
char ids) are split between two pieces comes out whole, and a word tokenizer's spacing at a
boundary is what the whole text would have."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Sequence

from seqlab.nlp.tokenizers.base import SPECIAL_TOKENS, Tokenizer
from seqlab.nlp.tokenizers.bpe import BPETokenizer
from seqlab.nlp.tokenizers.char import REPLACEMENT_CHARACTER, CharTokenizer
from seqlab.nlp.tokenizers.word import WordTokenizer

_N_SPECIAL = len(SPECIAL_TOKENS)


def decode_pieces(tokenizer: Tokenizer, pieces: Iterable[Sequence[int]],
                  line_eos: bool = False) -> Iterator[str]:
    """The text of each piece of ids in turn (special tokens skipped, as `decode`); joined,
    they are `tokenizer.decode` of all the ids. Holds one piece and, at most, the bytes of one
    unfinished character or one word. With `line_eos` (word tokenizers only: a word language
    model's rule, `seqlab.nlp.lm_text`) each </s> is a line end instead."""
    if isinstance(tokenizer, BPETokenizer):
        return _bpe_pieces(tokenizer, pieces)
    if isinstance(tokenizer, CharTokenizer) and tokenizer.byte_level:
        return _byte_char_pieces(tokenizer, pieces)
    if isinstance(tokenizer, WordTokenizer):
        return _word_pieces(tokenizer, pieces, line_eos)
    return (tokenizer.decode(piece) for piece in pieces)  # per-id text: joins exactly


def _check(piece: Sequence[int], vocab_size: int) -> None:
    """An IndexError naming the first id outside 0..vocab_size-1, as `decode` raises."""
    for index in piece:
        if not 0 <= int(index) < vocab_size:
            raise IndexError(f"token id {index} out of range for vocab_size {vocab_size}")


def _utf8_decoder():
    return codecs.getincrementaldecoder("utf-8")("replace")


def _bpe_pieces(tokenizer: BPETokenizer, pieces: Iterable[Sequence[int]]) -> Iterator[str]:
    """BPE's decode joins all the bytes and decodes them once: an incremental decoder gives
    the same characters, holding back an unfinished one."""
    decoder, unknown = _utf8_decoder(), REPLACEMENT_CHARACTER.encode()
    for piece in pieces:
        _check(piece, tokenizer.vocab_size)
        joined = b"".join(tokenizer.token_bytes(int(i)) if int(i) >= _N_SPECIAL
                          else unknown if int(i) == tokenizer.unk_id else b""
                          for i in piece)
        yield decoder.decode(joined)
    yield decoder.decode(b"", final=True)


def _byte_char_pieces(tokenizer: CharTokenizer,
                      pieces: Iterable[Sequence[int]]) -> Iterator[str]:
    """A byte-level char tokenizer decodes each run of byte ids between special tokens on its
    own: the decoder is finished at each special token, as the whole decode does."""
    decoder = _utf8_decoder()
    for piece in pieces:
        _check(piece, tokenizer.vocab_size)
        out: list[str] = []
        run = bytearray()
        for index in map(int, piece):
            if index >= _N_SPECIAL:
                run.append(index - _N_SPECIAL)
                continue
            out.append(decoder.decode(bytes(run), final=True))
            run.clear()
            if index == tokenizer.unk_id:
                out.append(REPLACEMENT_CHARACTER)
        out.append(decoder.decode(bytes(run)))
        yield "".join(out)
    yield decoder.decode(b"", final=True)


def _word_pieces(tokenizer: WordTokenizer, pieces: Iterable[Sequence[int]],
                 line_eos: bool) -> Iterator[str]:
    """The space between two words depends only on those two words: each piece is decoded
    after the last word shown before it, whose text (unchanged: detokenizing only removes
    spaces between words) is then cut off again. With `line_eos` a </s> writes a newline and
    the next line starts with no word before it."""
    last: list[int] = []
    skipped = {tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id}
    for piece in pieces:
        out: list[str] = []
        for number, line in enumerate(_lines(piece, tokenizer.eos_id) if line_eos
                                      else [[int(i) for i in piece]]):
            if number:
                out.append("\n")
                last = []
            text = tokenizer.decode(last + line)
            out.append(text[len(tokenizer.decode(last)):])
            shown = [i for i in line if i not in skipped]
            last = shown[-1:] or last
        yield "".join(out)


def _lines(piece: Sequence[int], eos: int) -> list[list[int]]:
    """`piece` split at each `eos` (dropped): one more list than it holds line ends."""
    lines: list[list[int]] = [[]]
    for index in map(int, piece):
        if index == eos:
            lines.append([])
        else:
            lines[-1].append(index)
    return lines
