"""A U+FFFD the model wrote as a whole character is text, not a character cut by the end of
generation: `whole_text` and the streams keep it (review of stop 23's fixA1, `whole_text`)."""

from __future__ import annotations

import pytest

from seqlab.nlp.generation import stream_chunk_pieces, stream_pieces, whole_text
from seqlab.nlp.tokenizers.bpe import BPETokenizer
from seqlab.nlp.tokenizers.char import CharTokenizer

# text read with --errors replace holds U+FFFD, so a tokenizer trained on it can write one
TEXT = "ab\ufffdc ab\ufffdc abc"


def _outputs(ids: list[int], decode) -> list[str]:
    return [whole_text(ids, decode), "".join(stream_pieces(iter(ids), decode)),
            "".join(stream_chunk_pieces([ids], decode))]


@pytest.mark.parametrize("vocab_size", [None, 300])  # byte tokens only; U+FFFD merged
def test_a_whole_replacement_character_last_is_kept_byte_level_bpe(vocab_size):
    tokenizer = BPETokenizer.train(TEXT, **({"vocab_size": vocab_size} if vocab_size else {}))
    ids = tokenizer.encode("ab\ufffd")
    assert tokenizer.decode(ids) == "ab\ufffd"
    assert _outputs(ids, tokenizer.decode) == ["ab\ufffd"] * 3


@pytest.mark.parametrize("byte_level", [False, True])
def test_a_whole_replacement_character_last_is_kept_char_level(byte_level):
    tokenizer = CharTokenizer.train(TEXT, byte_level=byte_level)
    ids = tokenizer.encode("ab\ufffd")
    assert tokenizer.decode(ids) == "ab\ufffd"
    assert _outputs(ids, tokenizer.decode) == ["ab\ufffd"] * 3


def test_bytes_of_a_character_cut_at_the_end_are_still_dropped_byte_level_bpe():
    tokenizer = BPETokenizer.train(TEXT + " 日本")
    ids = tokenizer.encode("ab日")
    for cut in (1, 2):
        assert tokenizer.decode(ids[:-cut]).endswith("\ufffd")
        assert _outputs(ids[:-cut], tokenizer.decode) == ["ab"] * 3


@pytest.mark.parametrize("byte_level", [False, True])
def test_char_token_bytes_are_what_decode_joins(byte_level):
    tokenizer = CharTokenizer.train(TEXT + "日", byte_level=byte_level)
    ids = tokenizer.encode("a\ufffd日")
    assert b"".join(tokenizer.token_bytes(i) for i in ids).decode() == tokenizer.decode(ids)
    assert tokenizer.token_bytes(tokenizer.unk_id) == b""


def test_bytes_of_a_character_cut_at_the_end_are_still_dropped_byte_level_char():
    tokenizer = CharTokenizer.train(TEXT, byte_level=True)
    ids = tokenizer.encode("ab日")
    for cut in (1, 2):
        assert _outputs(ids[:-cut], tokenizer.decode) == ["ab"] * 3
