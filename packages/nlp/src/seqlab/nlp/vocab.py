"""Vocabulary: token counts, min_count / max_size pruning, <unk>, id <-> token, JSON save/load."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from seqlab.autograd.atomic import atomic_write

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
# Every seqlab vocabulary starts with these, in this order, so ids 0..3 mean the same everywhere.
SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, BOS, EOS)


def write_json(path: str | Path, data: Mapping[str, Any]) -> None:
    """Write `data` as UTF-8 JSON to `path`."""
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: only JSON's \u escapes can carry them
        encoded = (json.dumps(data, ensure_ascii=True, indent=1) + "\n").encode("ascii")
    with atomic_write(path, "wb") as file:
        file.write(encoded)


def check_version(data: Mapping[str, Any], supported: int, what: str) -> None:
    """A ValueError when `data["version"]` is not a format version this seqlab reads."""
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{what} data has an invalid format version {version!r}")
    if version > supported:
        raise ValueError(f"{what} format version {version} is newer than this seqlab reads "
                         f"(up to {supported}); upgrade seqlab")


def read_json_object(path: str | Path, expected_types: Iterable[str], what: str) -> dict[str, Any]:
    """Read a JSON object whose "type" is one of `expected_types`; ValueError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a {what} JSON file: {error}") from error
    expected = tuple(expected_types)
    if not isinstance(data, dict) or data.get("type") not in expected:
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            f'{path} is not a {what} file: expected a JSON object with "type" in '
            f"{list(expected)}, found {found!r}"
        )
    return data


class Vocabulary:
    """Token <-> id mapping with counts; the special tokens come first, then by count."""

    def __init__(self, tokens: Iterable[str], counts: Mapping[str, int] | None = None) -> None:
        """Wrap an ordered token list (specials must come first; build() does that for you)."""
        self._tokens: list[str] = list(tokens)
        self._ids: dict[str, int] = {}
        for index, token in enumerate(self._tokens):
            if token in self._ids:
                raise ValueError(f"duplicate token {token!r} at ids {self._ids[token]} and {index}")
            self._ids[token] = index
        missing = [t for t in SPECIAL_TOKENS if self._ids.get(t) != SPECIAL_TOKENS.index(t)]
        if missing:
            raise ValueError(
                f"a Vocabulary must start with {list(SPECIAL_TOKENS)}; "
                f"missing or misplaced: {missing}"
            )
        self.counts: dict[str, int] = dict(counts or {})

    @classmethod
    def build(
        cls,
        tokens: Iterable[str] | Iterable[Iterable[str]] | Mapping[str, int],
        min_count: int = 1,
        max_size: int | None = None,
    ) -> Vocabulary:
        """Count tokens (a flat iterable, an iterable of sentences, or a Counter) and keep the
        most frequent: count >= min_count, at most max_size entries including the specials."""
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < len(SPECIAL_TOKENS):
            raise ValueError(
                f"max_size must be >= {len(SPECIAL_TOKENS)} (the specials), got {max_size}"
            )
        counts = cls._count(tokens)
        kept = [t for t, c in counts.items() if c >= min_count and t not in SPECIAL_TOKENS]
        # Most frequent first; ties broken alphabetically so builds are reproducible.
        kept.sort(key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - len(SPECIAL_TOKENS)]
        return cls([*SPECIAL_TOKENS, *kept], {t: counts[t] for t in kept})

    @staticmethod
    def _count(tokens: Iterable[str] | Iterable[Iterable[str]] | Mapping[str, int]) -> Counter:
        if isinstance(tokens, Mapping):
            return Counter(dict(tokens))
        counts: Counter = Counter()
        pending: list[str] = []
        for item in tokens:
            if isinstance(item, str):
                pending.append(item)
                if len(pending) >= 1 << 16:  # Counter.update on a list runs in C; batch it
                    counts.update(pending)
                    pending.clear()
            else:
                counts.update(item)
        counts.update(pending)
        return counts

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __iter__(self):
        return iter(self._tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)})"

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._tokens)

    @property
    def unk_id(self) -> int:
        """Id of <unk>, which every unknown token maps to."""
        return SPECIAL_TOKENS.index(UNK)

    def token_to_id(self, token: str) -> int:
        """Id of `token`, or the <unk> id when it is not in the vocabulary."""
        return self._ids.get(token, self.unk_id)

    def id_to_token(self, index: int) -> str:
        """Token with id `index`; IndexError when out of range."""
        if not 0 <= index < len(self._tokens):
            raise IndexError(f"token id {index} out of range for a vocabulary of {len(self)}")
        return self._tokens[index]

    def lookup(self, tokens: Iterable[str]) -> list[int]:
        """Ids of many tokens (unknown ones -> <unk>)."""
        get, unk = self._ids.get, self.unk_id
        return [get(token, unk) for token in tokens]

    def count(self, token: str) -> int:
        """Training count of `token` (0 for specials and unknown tokens)."""
        return self.counts.get(token, 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"type": "vocabulary", "tokens": [...], "counts": [...]}."""
        return {
            "type": "vocabulary",
            "version": 1,
            "tokens": self._tokens,
            "counts": [self.counts.get(t, 0) for t in self._tokens],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocabulary:
        """Inverse of to_dict()."""
        check_version(data, 1, "vocabulary")
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError('vocabulary data needs a "tokens" list of strings')
        counts = data.get("counts") or [0] * len(tokens)
        if len(counts) != len(tokens):
            raise ValueError(f"vocabulary has {len(tokens)} tokens but {len(counts)} counts")
        return cls(tokens, {t: int(c) for t, c in zip(tokens, counts) if c})

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON."""
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a vocabulary JSON file; ValueError naming the file when it is not one."""
        data = read_json_object(path, ["vocabulary"], "vocabulary")
        try:
            return cls.from_dict(data)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}: malformed vocabulary file: {error}") from error
