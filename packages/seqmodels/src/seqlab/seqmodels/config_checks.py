"""Checks on a checkpoint's stored config before a model is built from it.

A config is read from a file, so it may be damaged or hostile: missing, not a JSON object, or
claiming sizes (hidden size 10**6) whose model would need terabytes. Every seqlab model stores
its weights in the same file, so each size in the config, and the square of the hidden size
(the recurrent weight) and vocabulary x embedding (the embedding table), cannot exceed the number
of values the file holds: checking that first bounds what building the model allocates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_PRODUCTS = (("hidden_size", "hidden_size"), ("vocab_size", "embedding_dim"),
             ("num_classes", "hidden_size"))


def check_config_object(config: Any, path: Any) -> dict[str, Any]:
    """The config if it is a JSON object naming a model class; else a ValueError saying so."""
    if config is None:
        raise ValueError(f"{path}: the checkpoint header has no 'config' entry; the file is "
                         "damaged or was not written by seqlab: re-create it")
    if not isinstance(config, dict):
        raise ValueError(f"{path}: the checkpoint's 'config' is a {type(config).__name__}, "
                         "expected a JSON object; the file is damaged: re-create it")
    return config


def check_config_fits(config: dict[str, Any], state: dict[str, np.ndarray], path: Any) -> None:
    """A ValueError when the config asks for more weights than the file stores."""
    stored = sum(int(array.size) for array in state.values())
    for key, value in config.items():
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        if value > max(stored, 1):
            raise ValueError(f"{path}: config {key}={value} does not fit the {stored:,} weights "
                             "the file stores; the file is damaged or edited: re-create it")
    for first, second in _PRODUCTS:
        a, b = config.get(first), config.get(second)
        if isinstance(a, int) and isinstance(b, int) and a * b > max(stored, 1):
            raise ValueError(f"{path}: config {first}={a} and {second}={b} need more weights than "
                             f"the {stored:,} the file stores; the file is damaged or edited: "
                             "re-create it")
