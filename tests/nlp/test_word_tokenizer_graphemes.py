"""The word tokenizer keeps grapheme clusters whole (an emoji ZWJ sequence, an emoji with its
skin tone, a flag, a keycap), as Hugging Face's Whitespace and NLTK keep them, and invisible
format characters (ZWSP, a lone ZWJ, a BOM) are never a word; the joiners stay inside the
words they join (qaA s23 finding 7). Files saved with the pattern before keep their ids."""

import unicodedata

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.corpora.streaming import builtin_pattern
from seqlab.nlp.ngram.sentences import LineTokens
from seqlab.nlp.tokenizers import Tokenizer, WordTokenizer
from seqlab.nlp.tokenizers.word import PATTERN_MARKS

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"
THUMBS = "\U0001F44D\U0001F3FD"
FLAG = "\U0001F1EB\U0001F1F7"
KEYCAP = "#\ufe0f\u20e3"
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside the word
TEXT = (f"family {FAMILY} thumbs {THUMBS} flag {FLAG} key {KEYCAP} a\u200bb \u200d x "
        f"\ufeffy {PERSIAN}.")


def test_clusters_are_one_token_and_format_characters_none():
    assert WordTokenizer().tokenize(TEXT) == [
        "family", FAMILY, "thumbs", THUMBS, "flag", FLAG, "key", KEYCAP, "a", "b", "x", "y",
        PERSIAN, "."]


def test_the_pattern_before_split_them():
    """What a file saved before this change gives, and still gives."""
    tokens = WordTokenizer(pattern=PATTERN_MARKS).tokenize(TEXT)
    assert "\u200d" in tokens and "\u200b" in tokens and "\U0001F3FD" in tokens


CHARACTERS = st.sampled_from(
    ["a", "é", "\u0301", " ", ".", "\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad",
     "\U0001F468", "\U0001F3FD", "\U0001F1EB", "\U0001F1F7", "\u0915", "\u094d", "'", "\n"])


@settings(deadline=None, max_examples=200)
@given(st.lists(CHARACTERS, max_size=30).map("".join))
def test_no_token_is_invisible_and_tokens_are_clusters(text):
    """No token starts with a format character or holds a space, and each token that is not a
    word is one grapheme cluster (`regex`'s \\X)."""
    for token in WordTokenizer().tokenize(text):
        assert unicodedata.category(token[0]) != "Cf" and not any(c.isspace() for c in token)
        if not regex.match(r"[\w\p{M}]", token[0]):
            assert regex.fullmatch(r"\X", token)


def test_a_saved_tokenizer_of_before_keeps_its_pattern_and_ids(tmp_path):
    old = WordTokenizer.train(TEXT, pattern=PATTERN_MARKS)
    old.save(tmp_path / "old.json")
    loaded = Tokenizer.load(tmp_path / "old.json")
    assert loaded.pattern == PATTERN_MARKS and builtin_pattern(loaded)
    assert loaded.tokenize(TEXT) == old.tokenize(TEXT)
    assert loaded.encode(TEXT) == old.encode(TEXT)
    assert builtin_pattern(WordTokenizer())


def test_ngram_and_word2vec_words_follow_the_tokenizer():
    """ngram's word level and word2vec (a WordTokenizer with the default pattern) read alike."""
    assert LineTokens("word")(TEXT) == WordTokenizer().tokenize(TEXT)
    assert "\u200d" not in WordTokenizer(lowercase=True).tokenize(TEXT)
