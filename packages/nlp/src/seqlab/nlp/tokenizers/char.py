"""Character tokenizer: one id per Unicode code point (or per UTF-8 byte in byte mode),
optionally after Unicode normalization and lowercasing (as Keras' `TextVectorization` with
`split="character"` lowercases by default)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from seqlab.nlp.tokenizers.base import SPECIAL_TOKENS, Tokenizer, as_text_iterable

if TYPE_CHECKING:
    import numpy as np

NORMALIZATION_FORMS = ("NFC", "NFKC", "NFD", "NFKD")
# Shown for <unk> when decoding: the Unicode replacement character, so decode stays a plain string.
REPLACEMENT_CHARACTER = "\ufffd"
_N_SPECIAL = len(SPECIAL_TOKENS)


def _prepared(text: str, normalize: str | None, lowercase: bool) -> str:
    """The text as the alphabet sees it: normalized, then lowercased if asked."""
    text = unicodedata.normalize(normalize, text) if normalize else text
    return text.lower() if lowercase else text


class CharTokenizer(Tokenizer):
    """Code-point tokenizer with a trained alphabet, or a fixed 256-byte alphabet in byte mode."""

    type_name = "char"

    def __init__(
        self,
        alphabet: Iterable[str] = (),
        normalize: str | None = None,
        byte_level: bool = False,
        lowercase: bool = False,
    ) -> None:
        """Build from an alphabet (single characters); byte_level=True ignores it and uses bytes.
        With `lowercase`, text is lowercased (after `normalize`) before it is looked up."""
        if normalize is not None and normalize not in NORMALIZATION_FORMS:
            raise ValueError(
                f"normalize must be None or one of {NORMALIZATION_FORMS}, got {normalize!r}"
            )
        import numpy as np  # here: importing the tokenizers (BPE training) needs no NumPy

        self.normalize = normalize
        self.byte_level = byte_level
        self.lowercase = lowercase
        if byte_level:
            self._alphabet: list[str] = []
            self._codes = np.arange(256, dtype=np.int64)
        else:
            chars = sorted(set(alphabet))
            bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
            if bad:
                raise ValueError(f"alphabet entries must be single characters, got {bad[:5]}")
            self._alphabet = chars
            self._codes = np.array([ord(c) for c in chars], dtype=np.int64)
        self._char_ids = {c: i + _N_SPECIAL for i, c in enumerate(self._alphabet)}

    @classmethod
    def train(
        cls,
        texts: str | Iterable[str],
        normalize: str | None = None,
        min_count: int = 1,
        max_size: int | None = None,
        byte_level: bool = False,
        lowercase: bool = False,
    ) -> CharTokenizer:
        """Build the alphabet from a corpus: characters seen >= min_count times, at most
        max_size ids in all (specials included), most frequent kept; rarer characters read
        as <unk>. With `lowercase`, the corpus (and later text) is lowercased first."""
        if byte_level:
            return cls(normalize=normalize, byte_level=True, lowercase=lowercase)
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        counts: Counter = Counter()
        for text in as_text_iterable(texts):
            counts.update(_prepared(text, normalize, lowercase))
        kept = [c for c, n in counts.items() if n >= min_count]
        kept.sort(key=lambda c: (-counts[c], c))  # most frequent first, ties by character
        if max_size is not None:
            if max_size < _N_SPECIAL:
                raise ValueError(f"max_size must be >= {_N_SPECIAL} (the specials), got {max_size}")
            kept = kept[: max_size - _N_SPECIAL]
        return cls(kept, normalize=normalize, lowercase=lowercase)

    @property
    def vocab_size(self) -> int:
        """Specials plus the alphabet (256 bytes in byte mode)."""
        return _N_SPECIAL + len(self._codes)

    @property
    def alphabet(self) -> list[str]:
        """The characters this tokenizer knows (empty in byte mode)."""
        return list(self._alphabet)

    def token_to_id(self, token: str) -> int:
        """Id of a special token, a character, or (byte mode) a byte written as <0xNN>."""
        if token in SPECIAL_TOKENS:
            return SPECIAL_TOKENS.index(token)
        if self.byte_level:
            if len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
                try:
                    return _N_SPECIAL + int(token[3:5], 16)
                except ValueError:
                    return self.unk_id
            encoded = token.encode("utf-8")
            return _N_SPECIAL + encoded[0] if len(encoded) == 1 else self.unk_id
        return self._char_ids.get(token, self.unk_id)

    def id_to_token(self, index: int) -> str:
        """Special token, character, or (byte mode) <0xNN>."""
        if not 0 <= index < self.vocab_size:
            raise IndexError(f"token id {index} out of range for vocab_size {self.vocab_size}")
        if index < _N_SPECIAL:
            return SPECIAL_TOKENS[index]
        if self.byte_level:
            return f"<0x{index - _N_SPECIAL:02X}>"
        return self._alphabet[index - _N_SPECIAL]

    def token_bytes(self, index: int) -> bytes:
        """Raw bytes a token stands for: its byte (byte mode) or its character's UTF-8 bytes
        (empty for specials), as BPETokenizer.token_bytes."""
        token = self.id_to_token(index)
        if index < _N_SPECIAL:
            return b""
        if self.byte_level:
            return bytes([index - _N_SPECIAL])
        return token.encode("utf-8", "surrogatepass")

    def encode_array(self, text: str) -> np.ndarray:
        """Ids as an int64 array, vectorised: characters outside the alphabet become <unk>."""
        import numpy as np

        text = _prepared(text, self.normalize, self.lowercase)
        if self.byte_level:
            return (
                np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8).astype(
                    np.int64
                )
                + _N_SPECIAL
            )
        # UTF-32 gives one fixed-width unit per code point, so NumPy can look them all up at once.
        utf32 = text.encode("utf-32-le", "surrogatepass")
        points = np.frombuffer(utf32, dtype="<u4").astype(np.int64)
        if len(self._codes) == 0:
            return np.full(len(points), self.unk_id, dtype=np.int64)
        where = np.searchsorted(self._codes, points).clip(max=len(self._codes) - 1)
        known = self._codes[where] == points
        return np.where(known, where + _N_SPECIAL, self.unk_id).astype(np.int64)

    def tokenize(self, text: str) -> list[str]:
        """The characters of `text` as the alphabet looks them up (normalized, lowercased
        if configured), one outside the alphabet kept as it is (encode makes it <unk>); in
        byte mode each UTF-8 byte spelled as id_to_token spells it (<0xNN>)."""
        if self.byte_level:
            return [self.id_to_token(i) for i in self.encode(text)]
        return list(_prepared(text, self.normalize, self.lowercase))

    def encode(self, text: str) -> list[int]:
        """One id per character (per byte in byte mode)."""
        return self.encode_array(text).tolist()

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Characters of `ids`; <unk> shows as U+FFFD unless skip_special_tokens is False."""
        if self.byte_level:
            return self._decode_bytes(ids, skip_special_tokens)
        pieces = []
        for index in ids:
            index = int(index)
            if index >= _N_SPECIAL:
                pieces.append(self.id_to_token(index))
            elif not skip_special_tokens:
                pieces.append(SPECIAL_TOKENS[index] if index >= 0 else self.id_to_token(index))
            elif index == self.unk_id:
                pieces.append(REPLACEMENT_CHARACTER)
        return "".join(pieces)

    def _decode_bytes(self, ids: Iterable[int], skip_special_tokens: bool) -> str:
        pieces: list[str] = []
        run = bytearray()
        for index in ids:
            index = int(index)
            if not 0 <= index < self.vocab_size:
                raise IndexError(f"token id {index} out of range for vocab_size {self.vocab_size}")
            if index >= _N_SPECIAL:
                run.append(index - _N_SPECIAL)
                continue
            pieces.append(run.decode("utf-8", "replace"))
            run.clear()
            if not skip_special_tokens:
                pieces.append(SPECIAL_TOKENS[index])
            elif index == self.unk_id:
                pieces.append(REPLACEMENT_CHARACTER)
        pieces.append(run.decode("utf-8", "replace"))
        return "".join(pieces)

    def summary(self) -> dict[str, Any]:
        options = {"normalize": self.normalize, "byte_level": self.byte_level,
                   "lowercase": self.lowercase}
        return {"vocab_size": self.vocab_size,
                **{key: value for key, value in options.items() if value}}

    def _config(self) -> dict[str, Any]:
        return {
            "normalize": self.normalize,
            "byte_level": self.byte_level,
            "lowercase": self.lowercase,
            "alphabet": self._alphabet,
        }

    @classmethod
    def _from_config(cls, data: Mapping[str, Any]) -> CharTokenizer:
        return cls(
            data.get("alphabet", []),
            normalize=data.get("normalize"),
            byte_level=bool(data.get("byte_level", False)),
            lowercase=bool(data.get("lowercase", False)),
        )
