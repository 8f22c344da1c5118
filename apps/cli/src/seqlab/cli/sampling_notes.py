"""The note for a sampling option that has no effect, shared by `generate` (neural models) and
`ngram generate`, so both say it the same way in one line."""

from __future__ import annotations


def top_k_note(top_k: int | None, usable: int, top_p: float | None = None) -> str | None:
    """The warning for a --top-k that keeps all `usable` tokens the model can write (so it
    has no effect), or None. Only for a run that samples (not greedy, not beam search);
    `top_p` below 1 names the nucleus sampled from instead of the whole distribution."""
    if top_k is None or top_k < usable:
        return None
    left = ("the whole distribution" if top_p is None or top_p >= 1
            else f"the --top-p {top_p} nucleus")
    return (f"--top-k {top_k} keeps all {usable} tokens the model can write: it has no "
            f"effect (sampling from {left})")
