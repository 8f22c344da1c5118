"""Which tokens a text longer than a classifier's `max_length` keeps.

"last" (the default since stop 21) keeps the end of the text, as Keras' `pad_sequences` does by
default (truncating='pre'): reviews and messages tend to end with their verdict, and the
recurrent state the classifier reads last has seen the end. "first" keeps the start, as models
written before stop 21 were trained (their files carry no `truncate` entry).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

KEEPS = ("last", "first")
DEFAULT_KEEP = "last"
OLD_MODELS_KEEP = "first"  # what a model file without a `truncate` entry was trained with


def kept_tokens(ids: Sequence[int], max_length: int, keep: str = DEFAULT_KEEP) -> Any:
    """The last (or first) `max_length` of `ids`; all of them when there are no more."""
    if keep not in KEEPS:
        raise ValueError(f"keep must be one of {', '.join(KEEPS)}, got {keep!r}")
    if len(ids) <= max_length:
        return ids
    return ids[len(ids) - max_length :] if keep == "last" else ids[:max_length]


def model_keep(metadata: dict[str, Any] | None) -> str:
    """The end a saved classifier keeps of a long text ("first" for files before stop 21)."""
    return str((metadata or {}).get("truncate", OLD_MODELS_KEEP))
