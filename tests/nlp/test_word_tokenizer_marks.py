"""The word tokenizer keeps combining marks with their word (Devanagari vowel signs and
viramas, Arabic harakat, a decomposed accent), as NLTK's `wordpunct_tokenize` does, while
files saved with the former pattern keep giving the ids they gave."""

import re
import unicodedata

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.corpora.streaming import builtin_pattern
from seqlab.nlp.tokenizers import Tokenizer, WordTokenizer
from seqlab.nlp.tokenizers.word import DEFAULT_PATTERN, PATTERN_BEFORE_MARKS

# What NLTK 3.10's wordpunct_tokenize gives (checked with the peers' NLTK).
NLTK_WORDPUNCT = {
    "हिन्दी भाषा": ["हिन्दी", "भाषा"],
    "cafe\u0301 au lait": ["cafe\u0301", "au", "lait"],
    "اَلْعَرَبِيَّة": ["اَلْعَرَبِيَّة"],
}


@pytest.mark.parametrize("text", sorted(NLTK_WORDPUNCT))
def test_marks_stay_with_their_word(text):
    assert WordTokenizer().tokenize(text) == NLTK_WORDPUNCT[text]


def test_every_token_of_mixed_text_holds_no_lone_mark():
    text = "Don't say हिन्दी, say naïve cafe\u0301 (and वि\u200dश्व)."
    tokens = WordTokenizer().tokenize(text)
    assert tokens[:4] == ["Don't", "say", "हिन्दी", ","]
    assert not any(unicodedata.category(token[0]).startswith("M") for token in tokens)
    assert "".join(tokens) == "".join(text.split())


def test_text_without_marks_splits_as_before():
    """Precomposed letters, curly quotes, dashes, digits: `regex` splits them as `re` did."""
    text = ("The café’s naïve owner said: “It’s 9\u00a0°C — don't panic!” Zürich, São Paulo "
            "and Åland (1999–2024); ½ of £3.50 … Ελληνικά, русский, 日本語のテキスト.")
    assert not text.isascii()
    assert WordTokenizer().tokenize(text) == re.findall(PATTERN_BEFORE_MARKS, text)


@settings(deadline=None, max_examples=150)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_ascii_shortcut_splits_as_the_pattern_does(text):
    """ASCII text runs on `re` through ASCII_PATTERN: the same tokens as DEFAULT_PATTERN on
    `regex`, and the same as before but for the separators \x1c-\x1f (`re` calls them space)."""
    tokens = WordTokenizer().tokenize(text)
    assert tokens == regex.findall(DEFAULT_PATTERN, text, flags=regex.VERSION0)
    assert [t for t in tokens if t not in "\x1c\x1d\x1e\x1f"] == \
        re.findall(PATTERN_BEFORE_MARKS, text)


def test_separators_are_tokens_in_any_text():
    assert WordTokenizer().tokenize("é\x1cb") == ["é", "\x1c", "b"]
    assert WordTokenizer().tokenize("e\x1cb") == ["e", "\x1c", "b"]


def test_a_saved_tokenizer_keeps_its_pattern_and_ids(tmp_path):
    """A file written before this change names the former pattern: it still splits as it did
    (on the standard `re`, whose \\w has no marks), so a model trained with it sees the ids it
    was trained on, and the id caches, keyed by the tokenizer's JSON, stay valid."""
    old = WordTokenizer.train("हिन्दी भाषा is a language", pattern=PATTERN_BEFORE_MARKS)
    old.save(tmp_path / "old.json")
    loaded = Tokenizer.load(tmp_path / "old.json")
    assert loaded.pattern == PATTERN_BEFORE_MARKS
    assert loaded.tokenize("हिन्दी") == re.findall(PATTERN_BEFORE_MARKS, "हिन्दी")
    assert len(loaded.tokenize("हिन्दी")) == 6
    assert loaded.encode("हिन्दी भाषा") == old.encode("हिन्दी भाषा")
    assert builtin_pattern(loaded)
    new = WordTokenizer.train("हिन्दी भाषा")
    assert new.pattern == DEFAULT_PATTERN and builtin_pattern(new)
    assert Tokenizer.from_dict(new.to_dict()).tokenize("हिन्दी भाषा") == ["हिन्दी", "भाषा"]


def test_decode_skipping_special_tokens_keeps_unknown_words_visible():
    """skip_special_tokens drops <pad> <s> </s> but shows an unknown word as <unk>: a generated
    or translated text never loses a word without a trace; False shows every special token."""
    tokenizer = WordTokenizer.train("the cat sat on the mat .")
    ids = [tokenizer.bos_id, *tokenizer.encode("the dog sat ."), tokenizer.eos_id]
    assert ids[2] == tokenizer.unk_id
    assert tokenizer.decode(ids) == "the <unk> sat."
    assert tokenizer.decode([tokenizer.pad_id, *ids]) == "the <unk> sat."
    assert tokenizer.decode(ids, skip_special_tokens=False) == "<s> the <unk> sat. </s>"
