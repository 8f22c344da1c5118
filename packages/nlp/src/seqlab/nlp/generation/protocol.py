"""The one interface every generating model offers, and an adapter for context-window models.

A `TokenModel` is stepped one token at a time through an explicit, immutable state:

    state = model.initial_state()           # before any token
    state = model.advance(state, token_id)  # feed one token (returns a NEW state)
    logp = model.logprobs(state)            # natural-log probabilities of the next token (V,)
    logits = model.logits(state)            # optional: the logits behind them (V,)

States are values: `advance` never changes the state it is given, so beam search can branch
from one state many times. Neural language models keep their recurrent (h, c) in the state and
run one fused step per `advance`; n-gram models keep the last n-1 token ids. A model with an
output layer may offer `logits` (the sampler's repetition penalty acts on them, as HF's does;
without them it acts on the log-probabilities). A model may also offer `token_drawer`
(`FusedTokenModel`) so that sampling runs many tokens per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TokenModel(Protocol):
    """What the sampler needs from a model."""

    vocab_size: int

    def initial_state(self) -> Any: ...

    def advance(self, state: Any, token_id: int) -> Any: ...

    def logprobs(self, state: Any) -> np.ndarray: ...


class TokenDrawer(Protocol):
    """Draws the next tokens of one sampling run, one uniform number in [0, 1) each."""

    def draw(self, uniforms: np.ndarray) -> np.ndarray:
        """Up to len(uniforms) token ids; fewer only when the last is a stop token."""
        ...


@runtime_checkable
class FusedTokenModel(TokenModel, Protocol):
    """A TokenModel that can also draw many tokens per call (a jitted kernel), as the sampler's
    own per-token loop would from the same uniform numbers: `rule` is the `SamplingOptions`,
    `history` the tokens fed so far (the repetition penalty's start)."""

    def token_drawer(self, state: Any, history: Sequence[int], rule: Any) -> TokenDrawer: ...


class ContextWindowModel:
    """Adapts a model with `next_token_logprobs(context_ids)` (an n-gram model) to TokenModel.

    The state is the tuple of the last `window` token ids.
    """

    def __init__(self, next_token_logprobs: Callable[[Sequence[int]], np.ndarray],
                 vocab_size: int, window: int, start: Sequence[int] = ()) -> None:
        self._next = next_token_logprobs
        self.vocab_size = vocab_size
        self.window = max(window, 0)
        self._start = tuple(start)[-self.window :] if self.window else ()

    def initial_state(self) -> tuple[int, ...]:
        return self._start

    def advance(self, state: tuple[int, ...], token_id: int) -> tuple[int, ...]:
        if not self.window:
            return ()
        return (*state, int(token_id))[-self.window :]

    def logprobs(self, state: tuple[int, ...]) -> np.ndarray:
        return np.asarray(self._next(list(state)), dtype=np.float64)
