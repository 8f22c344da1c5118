"""`decode_pieces` gives, joined, what `decode` gives for all the ids at once, however the
ids are cut into pieces: a character whose bytes are split between pieces comes out whole
(byte-level BPE and char ids), and a word tokenizer's spacing at a cut is the whole text's."""

from __future__ import annotations

import random

import pytest

from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer
from seqlab.nlp.tokenizers.streamed_decode import decode_pieces

TEXT = "héllo wörld ✓ (a, b) [c]. d! 日本語 (x) e\r\nzz\t€ ; end.\n" * 3
TRAIN = "hello world (a, b) [c]. d! e ; end.\n" * 5


def _tokenizers():
    return {"bpe": BPETokenizer.train([TRAIN], vocab_size=270),
            "char": CharTokenizer.train([TRAIN]),
            "byte_char": CharTokenizer.train([TRAIN], byte_level=True),
            "word": WordTokenizer.train([TRAIN])}


@pytest.fixture(scope="module")
def tokenizers():
    return _tokenizers()


def _cuts(ids: list[int], seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    pieces, start = [], 0
    while start < len(ids):
        size = rng.choice([0, 1, 1, 2, 3, 7])
        pieces.append(ids[start:start + size])
        start += size
    return pieces


@pytest.mark.parametrize("name", ["bpe", "char", "byte_char", "word"])
@pytest.mark.parametrize("seed", range(5))
def test_pieces_join_to_the_whole_decode(tokenizers, name, seed):
    tokenizer = tokenizers[name]
    ids = [*tokenizer.encode(TEXT), tokenizer.bos_id, tokenizer.unk_id, tokenizer.eos_id]
    ids.insert(len(ids) // 2, tokenizer.pad_id)
    assert "".join(decode_pieces(tokenizer, _cuts(ids, seed))) == tokenizer.decode(ids)


def test_a_split_character_comes_out_whole(tokenizers):
    bpe = tokenizers["bpe"]
    ids = bpe.encode("✓")  # three bytes, unseen in training: three byte ids
    assert len(ids) == 3
    out = list(decode_pieces(bpe, [ids[:1], ids[1:2], ids[2:]]))
    assert "".join(out) == "✓" and "\ufffd" not in "".join(out)


def test_an_id_outside_the_vocabulary_is_an_index_error(tokenizers):
    bpe = tokenizers["bpe"]
    with pytest.raises(IndexError, match="token id 99999"):
        list(decode_pieces(bpe, [[5], [99999]]))
