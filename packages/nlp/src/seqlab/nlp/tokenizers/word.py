"""Word tokenizer: a regex splits words and punctuation; a Vocabulary maps them to ids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from seqlab.nlp.tokenizers.base import Tokenizer, as_text_iterable
from seqlab.nlp.tokenizers.patterns import Splitter
from seqlab.nlp.tokenizers.word_spacing import join_words
from seqlab.nlp.vocab import Vocabulary

# Words (letters/digits/underscore and the combining marks on them, with inner apostrophes as
# in "don't"), or one grapheme cluster of anything else (a punctuation mark, a symbol, an emoji
# ZWJ sequence "👨‍👩‍👧‍👦", an emoji with its skin tone "👍🏽", a flag "🇫🇷": `\X`), as Hugging
# Face's Whitespace and NLTK keep them. `\p{M}` keeps a Devanagari vowel sign or virama, an
# Arabic haraka or a decomposed accent ("cafe\u0301") in its word, as NLTK's wordpunct_tokenize
# does; `regex`'s \w has the joiners ZWNJ/ZWJ, which stay inside a word (Persian "می‌خواهم")
# but never start one. Invisible format characters (Unicode Cf: ZWSP, a lone ZWJ, a BOM, a
# soft hyphen) outside a word or cluster are no token at all. It runs on `regex` (the standard
# `re` has no Unicode properties or \X), and on `re` for ASCII text, through ASCII_PATTERN.
DEFAULT_PATTERN = (r"(?![\u200c\u200d])[\w\p{M}]+(?:['\u2019](?![\u200c\u200d])[\w\p{M}]+)*"
                   r"|(?=[^\w\p{M}\s\p{Cf}])\X")
# The default of files written before grapheme clusters were kept (one code point per
# punctuation token: "👨‍👩‍👧‍👦" gave seven tokens, a lone ZWJ or ZWSP one): such tokenizer files,
# and the classifiers and language models that carry one, name this pattern and keep their ids.
PATTERN_MARKS = r"[\w\p{M}]+(?:['\u2019][\w\p{M}]+)*|[^\w\p{M}\s]"
# DEFAULT_PATTERN and PATTERN_MARKS on ASCII text (no marks, format characters or clusters
# there), and `regex`'s \s, unlike `re`'s, leaves out the separators \x1c-\x1f (they are
# punctuation tokens).
ASCII_PATTERN = r"\w+(?:['\u2019]\w+)*|[^\w\s]|[\x1c-\x1f]"
# The default before marks were kept (run on `re`, whose \w has no marks: "हिन्दी" gave six
# tokens). Tokenizer files name their pattern, so files saved with it keep their ids.
PATTERN_BEFORE_MARKS = r"\w+(?:['\u2019]\w+)*|[^\w\s]"
BUILTIN_PATTERNS = (DEFAULT_PATTERN, PATTERN_MARKS, PATTERN_BEFORE_MARKS)


class WordTokenizer(Tokenizer):
    """Regex word tokenizer (punctuation kept as tokens, optional lowercasing) over a Vocabulary."""

    type_name = "word"

    def __init__(
        self,
        vocab: Vocabulary | None = None,
        lowercase: bool = False,
        pattern: str = DEFAULT_PATTERN,
    ) -> None:
        """Wrap a vocabulary; without one only tokenize() works (train() builds one)."""
        self._regex = Splitter(pattern, (PATTERN_BEFORE_MARKS,), "word pattern",
                               trusted_unicode={DEFAULT_PATTERN: ASCII_PATTERN,
                                                PATTERN_MARKS: ASCII_PATTERN})
        self.pattern = pattern
        self.lowercase = lowercase
        self.vocab = vocab

    @classmethod
    def train(
        cls,
        texts: str | Iterable[str],
        min_count: int = 1,
        max_size: int | None = None,
        lowercase: bool = False,
        pattern: str = DEFAULT_PATTERN,
    ) -> WordTokenizer:
        """Tokenize a corpus and keep words seen >= min_count times, at most max_size ids."""
        tokenizer = cls(None, lowercase=lowercase, pattern=pattern)
        counts: Counter = Counter()
        for text in as_text_iterable(texts):
            counts.update(tokenizer.tokenize(text))
        tokenizer.vocab = Vocabulary.build(counts, min_count=min_count, max_size=max_size)
        return tokenizer

    def tokenize(self, text: str) -> list[str]:
        """Split text into word and punctuation tokens (lowercased if configured)."""
        if self.lowercase:
            text = text.lower()
        return self._regex.findall(text)

    def _require_vocab(self) -> Vocabulary:
        if self.vocab is None:
            raise ValueError(
                "this WordTokenizer has no vocabulary: build it with WordTokenizer.train"
            )
        return self.vocab

    @property
    def vocab_size(self) -> int:
        """Size of the vocabulary, specials included."""
        return len(self._require_vocab())

    def token_to_id(self, token: str) -> int:
        """Id of a word (<unk> id when unknown)."""
        return self._require_vocab().token_to_id(token)

    def id_to_token(self, index: int) -> str:
        """Word with id `index`."""
        return self._require_vocab().id_to_token(index)

    def encode(self, text: str) -> list[int]:
        """Ids of the tokens of `text`; out-of-vocabulary words become <unk>."""
        return self._require_vocab().lookup(self.tokenize(text))

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Words joined by spaces, with no space before closing or after opening punctuation.

        skip_special_tokens drops <pad> <s> </s>; an unknown word stays visible as <unk>
        (Hugging Face's skip drops it too, but a generated or translated text would then lose
        a word without a trace: fairseq and OpenNMT show it, as the char and BPE tokenizers
        show U+FFFD for what they lost); False shows every special token by name."""
        vocab = self._require_vocab()
        skipped = {self.pad_id, self.bos_id, self.eos_id} if skip_special_tokens else set()
        words = [vocab.id_to_token(int(i)) for i in ids if int(i) not in skipped]
        return self.detokenize(words)

    @staticmethod
    def detokenize(words: Iterable[str]) -> str:
        """Join tokens into readable text (the inverse of tokenize() up to spacing): no space
        before closing or after opening punctuation of any script (`word_spacing`)."""
        return join_words(list(words))

    def summary(self) -> dict[str, Any]:
        options = {"lowercase": self.lowercase,
                   "pattern": None if self.pattern == DEFAULT_PATTERN else self.pattern}
        size = None if self.vocab is None else self.vocab_size  # None: not trained yet
        return {"vocab_size": size, **{key: value for key, value in options.items() if value}}

    def _config(self) -> dict[str, Any]:
        vocab = self._require_vocab()
        return {
            "lowercase": self.lowercase,
            "pattern": self.pattern,
            "vocab": vocab.to_dict(),
        }

    @classmethod
    def _from_config(cls, data: Mapping[str, Any]) -> WordTokenizer:
        vocab = Vocabulary.from_dict(data["vocab"])
        return cls(vocab, lowercase=bool(data.get("lowercase", False)), pattern=data["pattern"])
