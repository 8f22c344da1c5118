"""The `extra_repr` of a model built from a config dict, as PyTorch prints constructor
arguments: `key=value`, strings quoted (`cell='lstm'`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def config_repr(config: Mapping[str, Any]) -> str:
    """`key=value, ...` of `config`, strings in quotes."""
    return ", ".join(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}"
                     for key, value in config.items())
