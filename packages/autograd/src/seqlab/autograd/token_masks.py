"""Sets of token ids as (V,) masks, checked against the vocabulary: the one check that the
sampler's per-token path (`seqlab.nlp.generation`) and the fused drawer
(`seqlab.seqmodels.token_drawer`) share, so a bad id reads the same on both."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def token_mask(tokens: Iterable[int], vocab_size: int, what: str, strict: bool) -> np.ndarray:
    """A (V,) boolean mask of `tokens`; ids outside [0, vocab_size) (negative ones too) are a
    ValueError naming `what` when `strict`, else ignored (a stop token the model cannot write
    never stops it)."""
    mask = np.zeros(vocab_size, np.bool_)
    for token in tokens:
        token = int(token)
        if 0 <= token < vocab_size:
            mask[token] = True
        elif strict:
            raise ValueError(f"{what} token id {token} is outside the vocabulary [0, {vocab_size})")
    return mask


__all__ = ["token_mask"]
