"""`seqlab.nlp.lm_text`: the ids a neural language model trains on, streamed or whole, and the
prompt encoder and decoder that match them."""

import numpy as np
import pytest

from seqlab.nlp import lm_text
from seqlab.nlp.corpora import safe_pieces
from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

TEXT = "the cat sat\n\n  \nthe dog sat on the mat\nunseen words here\n"


@pytest.fixture(params=["char", "word", "bpe"])
def tokenizer(request):
    train = "the cat sat on the mat the dog sat\n" * 20
    if request.param == "char":
        return CharTokenizer.train(train)
    if request.param == "word":
        return WordTokenizer.train(train)
    return BPETokenizer.train(train, vocab_size=280)


def test_word_level_lines_end_with_eos_and_blank_lines_give_nothing():
    tokenizer = WordTokenizer.train("the cat sat on the mat the dog sat")
    expected = []
    for line in ("the cat sat", "the dog sat on the mat", "unseen words here"):
        expected += [*tokenizer.encode(line), tokenizer.eos_id]
    ids = lm_text.encode_corpus(tokenizer, TEXT)
    assert ids.dtype == np.int64
    assert ids.tolist() == expected


@pytest.mark.parametrize("make", [CharTokenizer.train,
                                  lambda text: BPETokenizer.train(text, vocab_size=280)])
def test_char_and_bpe_encode_the_whole_text_newlines_included(make):
    tokenizer = make("the cat sat on the mat the dog sat\n" * 20)
    assert lm_text.encode_corpus(tokenizer, TEXT).tolist() == tokenizer.encode(TEXT)


def test_streamed_pieces_give_the_whole_text_ids(tokenizer, tmp_path):
    text = TEXT * 40
    chunks = [text[start:start + 13] for start in range(0, len(text), 13)]
    pieces = list(safe_pieces(chunks))
    assert len(pieces) > 10 and "".join(pieces) == text
    streamed = lm_text.stream_corpus_ids(pieces, tokenizer, tmp_path / "ids.bin")
    whole = lm_text.encode_corpus(tokenizer, text)
    assert isinstance(streamed.ids, np.memmap)
    np.testing.assert_array_equal(streamed.ids, whole)
    assert streamed.characters == len(text)
    assert streamed.unknown == int(np.count_nonzero(whole == tokenizer.unk_id))


def test_word_level_prompt_newlines_are_eos_and_decode_back():
    tokenizer = WordTokenizer.train("the cat sat on the mat the dog sat")
    encode = lm_text.encode_prompt_ids(tokenizer)
    ids = encode("the cat\nthe dog")
    assert ids == [*tokenizer.encode("the cat"), tokenizer.eos_id, *tokenizer.encode("the dog")]
    assert lm_text.decoder(tokenizer)(ids) == "the cat\nthe dog"


def test_char_prompt_and_decoder_are_the_tokenizers_own():
    tokenizer = CharTokenizer.train("the cat sat\n")
    assert lm_text.encode_prompt_ids(tokenizer)("the\ncat") == tokenizer.encode("the\ncat")
    assert lm_text.decoder(tokenizer)(tokenizer.encode("the\ncat")) == "the\ncat"


def test_start_and_banned_ids():
    words = WordTokenizer.train("the cat sat")
    assert lm_text.start_ids(words) == [words.eos_id]
    assert words.eos_id not in lm_text.banned_ids(words)
    assert lm_text.banned_ids(words) == words.special_ids - {words.eos_id}
    chars = CharTokenizer.train("the cat sat\n")
    assert lm_text.start_ids(chars) == chars.encode("\n")
    assert lm_text.banned_ids(chars) == chars.special_ids
    no_line_starts = CharTokenizer.train("abc")
    assert lm_text.start_ids(no_line_starts) == []
