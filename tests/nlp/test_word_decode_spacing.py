"""Word decode drops the space before closing punctuation and after opening punctuation of
every script, not only ASCII (qaA s23 finding 8)."""

import pytest

from seqlab.nlp.tokenizers import WordTokenizer

CASES = {
    "cjk": "「こんにちは」、世界です。（本当に）！",
    "arabic": "مرحبا بالعالم، كيف حالك؟",
    "devanagari": "नमस्ते दुनिया, यह हिन्दी है। अच्छा॥",
    "ascii": "Hello, world (really)! 50% done.",
    "quotes": "he said “yes” and ‘no’.",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_decode_reattaches_punctuation(name):
    text = CASES[name]
    tokenizer = WordTokenizer.train(text)
    words = tokenizer.tokenize(text)
    assert len(words) > 4
    decoded = tokenizer.decode(tokenizer.encode(text))
    # spaced as written: no space before closing or after opening marks (words stay
    # space-separated: CJK words get a space, as in any word-level decode)
    expected = text if name != "cjk" else "「こんにちは」、 世界です。 （本当に）！"
    assert decoded == expected


def test_free_standing_marks_keep_their_spaces():
    """`"`, `#`, `&`, `/`, `¿` neither close nor open: they keep the space on both sides."""
    assert WordTokenizer.detokenize(["a", '"', "b", "#", "c", "&", "d", "¿", "e", "?"]) == \
        'a " b # c & d ¿ e?'
