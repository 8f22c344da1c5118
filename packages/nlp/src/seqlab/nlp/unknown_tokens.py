"""Which pieces of a text a tokenizer maps to <unk>, most frequent first: what a user needs
to see when a model's vocabulary does not cover new text (fine-tuning on another language)."""

from __future__ import annotations

from collections import Counter


def unknown_tokens(tokenizer, text: str, top: int = 5) -> list[tuple[str, int]]:
    """The `top` most frequent tokens of `text` (as `tokenizer.tokenize` splits it) that
    `tokenizer` maps to <unk>, with their counts; [] for a tokenizer that has no unknown
    tokens (byte-level BPE) or no `tokenize`."""
    split = getattr(tokenizer, "tokenize", None)
    if split is None:
        return []
    known: dict[str, bool] = {}
    counts: Counter[str] = Counter()
    for token in split(text):
        if token not in known:
            known[token] = tokenizer.token_to_id(token) != tokenizer.unk_id
        if not known[token]:
            counts[token] += 1
    return counts.most_common(top)
