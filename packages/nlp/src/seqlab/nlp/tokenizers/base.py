"""What every tokenizer shares: special tokens, batch encoding to padded arrays, JSON save/load."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from seqlab.nlp.vocab import (
    BOS,
    EOS,
    PAD,
    SPECIAL_TOKENS,
    UNK,
    check_version,
    read_json_object,
    write_json,
)

if TYPE_CHECKING:
    import numpy as np

FORMAT_VERSION = 1  # of the JSON a tokenizer is saved as (`format_version` of most types)
NEWEST_FORMAT_VERSION = 3  # read: a BPE file whose bytes have HF's ids is 2, with HF's split 3

__all__ = ["BOS", "EOS", "PAD", "SPECIAL_TOKENS", "UNK", "Tokenizer", "as_text_iterable"]


def as_text_iterable(texts: str | Iterable[str]) -> Iterable[str]:
    """Accept one string or an iterable of strings (lines, documents, streamed chunks)."""
    if isinstance(texts, str):
        return (texts,)
    return texts


class Tokenizer(ABC):
    """Base class: ids 0..3 are <pad> <unk> <s> </s>; subclasses define the rest."""

    type_name: ClassVar[str] = ""

    @property
    def format_version(self) -> int:
        """The version `to_dict` writes: the oldest format that holds this tokenizer."""
        return FORMAT_VERSION

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """Number of ids, specials included."""

    @abstractmethod
    def token_to_id(self, token: str) -> int:
        """Id of a token string (<unk> id when unknown)."""

    @abstractmethod
    def id_to_token(self, index: int) -> str:
        """Token string of an id."""

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Token ids of `text` (never fails: unknown pieces become <unk>)."""

    @abstractmethod
    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Text of `ids`; <pad> <s> </s> are dropped unless skip_special_tokens is False."""

    @abstractmethod
    def _config(self) -> dict[str, Any]:
        """The subclass's own JSON fields (everything but "type" and "version")."""

    @classmethod
    @abstractmethod
    def _from_config(cls, data: Mapping[str, Any]) -> Tokenizer:
        """Inverse of _config()."""

    def summary(self) -> dict[str, Any]:
        """The size, then each setting that differs from its default (what `repr` and `seqlab
        info` show)."""
        return {"vocab_size": self.vocab_size}

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in self.summary().items())
        return f"{type(self).__name__}({fields})"

    @property
    def pad_id(self) -> int:
        """Id of <pad>."""
        return SPECIAL_TOKENS.index(PAD)

    @property
    def unk_id(self) -> int:
        """Id of <unk>."""
        return SPECIAL_TOKENS.index(UNK)

    @property
    def bos_id(self) -> int:
        """Id of <s>."""
        return SPECIAL_TOKENS.index(BOS)

    @property
    def eos_id(self) -> int:
        """Id of </s>."""
        return SPECIAL_TOKENS.index(EOS)

    @property
    def special_ids(self) -> frozenset[int]:
        """Ids of all special tokens."""
        return frozenset(range(len(SPECIAL_TOKENS)))

    def encode_array(self, text: str) -> np.ndarray:
        """Token ids of `text` as an int64 array (for training on a whole corpus)."""
        import numpy as np  # here: training a tokenizer needs no NumPy (~20 MB resident)

        return np.asarray(self.encode(text), dtype=np.int64)

    def encode_batch(
        self, texts: Sequence[str], add_bos: bool = False, add_eos: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode many texts: (ids (N, max_len) int64 padded with pad_id, lengths (N,) int64)."""
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("encode_batch takes a sequence of strings, not one string")
        rows = []
        for text in texts:
            ids = self.encode(text)
            if add_bos:
                ids = [self.bos_id, *ids]
            if add_eos:
                ids = [*ids, self.eos_id]
            rows.append(ids)
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        batch = np.full((len(rows), int(lengths.max(initial=0))), self.pad_id, dtype=np.int64)
        for i, row in enumerate(rows):
            batch[i, : len(row)] = row
        return batch, lengths

    def decode_batch(self, ids: np.ndarray, lengths: np.ndarray | None = None) -> list[str]:
        """Decode each row of a padded batch (up to its length when lengths are given)."""
        import numpy as np

        ids = np.asarray(ids)
        if lengths is None:
            return [self.decode(row.tolist()) for row in ids]
        return [self.decode(row[: int(n)].tolist()) for row, n in zip(ids, lengths)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with a "type" field naming the tokenizer class."""
        return {"type": self.type_name, "version": self.format_version, **self._config()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tokenizer:
        """Rebuild a tokenizer from to_dict() output (any subclass when called on Tokenizer)."""
        check_version(data, NEWEST_FORMAT_VERSION, "tokenizer")
        target = _TOKENIZER_TYPES.get(data.get("type")) if cls is Tokenizer else cls
        if target is None or data.get("type") != target.type_name:
            raise ValueError(
                f"tokenizer data has type {data.get('type')!r}; expected "
                f"{cls.type_name if cls is not Tokenizer else sorted(_TOKENIZER_TYPES)}"
            )
        return target._from_config(data)

    def save(self, path: str | Path) -> None:
        """Write the tokenizer as JSON."""
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Read a tokenizer JSON file; ValueError naming the file when it is not a tokenizer."""
        expected = sorted(_TOKENIZER_TYPES) if cls is Tokenizer else [cls.type_name]
        data = read_json_object(path, expected, "tokenizer")
        try:
            return cls.from_dict(data)
        except (ValueError, TypeError, KeyError, IndexError) as error:
            raise ValueError(f"{path}: malformed {data['type']} tokenizer file: {error}") from error

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type_name:
            _TOKENIZER_TYPES[cls.type_name] = cls


_TOKENIZER_TYPES: dict[str, type[Tokenizer]] = {}
