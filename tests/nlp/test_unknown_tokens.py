"""qaA s24 #6: the pieces of new text a tokenizer does not know, most frequent first."""

from seqlab.nlp.tokenizers import CharTokenizer, WordTokenizer
from seqlab.nlp.unknown_tokens import unknown_tokens


def test_char_tokenizer_names_the_characters_it_lacks():
    tokenizer = CharTokenizer.train("the cat sat on the mat\n")
    assert unknown_tokens(tokenizer, "ça été très élégant", top=2) == [("é", 4), ("ç", 1)]
    assert unknown_tokens(tokenizer, "the cat") == []


def test_word_tokenizer_names_the_words_it_lacks():
    tokenizer = WordTokenizer.train("the cat sat on the mat\n")
    assert unknown_tokens(tokenizer, "the dog and the dog") == [("dog", 2), ("and", 1)]
