"""Sampling from any `TokenModel`: greedy, temperature, top-k, top-p, repetition penalty,
stop tokens, a token budget, and a seed. Tokens are yielded as they are made."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab.autograd.token_masks import token_mask
from seqlab.nlp.generation.protocol import FusedTokenModel, TokenDrawer, TokenModel

# A fused drawer's chunks aim at this many seconds (text appears every few milliseconds)
CHUNK_SECONDS = 0.005
MAX_CHUNK = 4096


@dataclass(frozen=True)
class SamplingOptions:
    """How to pick each next token. `temperature=0` or `greedy=True` means argmax.

    In HF's order: banned tokens removed, then `repetition_penalty` on the logits of every token
    already seen (prompt included), as HF's `RepetitionPenaltyLogitsProcessor` (and CTRL): a
    positive logit is divided by the penalty, a negative one multiplied. A model without logits
    (an n-gram model) is penalised on its log-probabilities (all negative: each seen token's is
    multiplied). Then temperature, top-k and top-p (HF's warpers) and the draw. Beam search
    penalises log-probabilities, as HF's beam search does. `banned_tokens` outside the
    vocabulary (negative ids too) are a ValueError; `stop_tokens` outside it never stop a run.
    """

    max_tokens: int = 200
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0
    greedy: bool = False
    seed: int | None = None
    stop_tokens: frozenset[int] = field(default_factory=frozenset)
    banned_tokens: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.max_tokens < 0:
            raise ValueError(f"max_tokens must be >= 0, got {self.max_tokens}")
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ValueError(f"temperature must be a finite number >= 0, got {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not self.repetition_penalty > 0:
            raise ValueError(
                f"repetition_penalty must be > 0, got {self.repetition_penalty}"
            )


def apply_repetition_penalty(scores: np.ndarray, seen: Iterable[int],
                             penalty: float) -> np.ndarray:
    """CTRL's penalty (HF's `RepetitionPenaltyLogitsProcessor`) on already generated tokens:
    divide positive scores, multiply negative ones. The sampler passes logits; beam search
    log-probabilities (all negative, so seen tokens become less likely)."""
    out = scores.copy()
    index = np.fromiter(set(seen), dtype=np.int64)
    if index.size and penalty != 1.0:
        scores = out[index]
        out[index] = np.where(scores > 0, scores / penalty, scores * penalty)
    return out


def ban(logprobs: np.ndarray, tokens: Iterable[int]) -> np.ndarray:
    """Log-probabilities (or logits) with `tokens` made impossible (e.g. <pad>, <unk>); an id
    outside the vocabulary (negative too) is a ValueError."""
    out = logprobs.copy()
    out[token_mask(tokens, out.shape[0], "banned", strict=True)] = -np.inf
    return out


def next_token_distribution(logprobs: np.ndarray, options: SamplingOptions) -> np.ndarray:
    """Probabilities after temperature, top-k and top-p filtering (sums to 1)."""
    scores = logprobs.astype(np.float64) / max(options.temperature, 1e-12)
    if options.top_k is not None and options.top_k < scores.size:
        kth = np.partition(scores, -options.top_k)[-options.top_k]
        scores = np.where(scores >= kth, scores, -np.inf)
    scores = scores - scores.max()
    probs = np.exp(scores)
    probs /= probs.sum()
    if options.top_p is not None and options.top_p < 1.0:
        probs[top_p_removed(scores, probs, options.top_p)] = 0.0
        probs /= probs.sum()
    return probs


def top_p_removed(scores: np.ndarray, probs: np.ndarray, top_p: float) -> np.ndarray:
    """Ids that top-p (nucleus) filtering removes, by HF's `TopPLogitsWarper` rule: the
    scores sorted ascending and the tokens whose cumulative probability is <= 1 - top_p
    removed, the most likely always kept. Ties are broken stably (tied tokens in id order,
    as `torch.sort(stable=True)` orders them), so of tied tokens straddling the cut-off the
    higher ids stay. Untied scores give HF's tokens at any vocabulary size; tied ones match
    HF only for vocabularies of at most 16, as HF's plain `torch.sort` is stable on CPU up
    to 16 elements and orders longer rows' ties its own way."""
    order = np.argsort(scores, kind="stable")
    removed = np.cumsum(probs[order]) <= 1.0 - top_p
    removed[-1] = False
    return order[removed]


def sample(model: TokenModel, prompt: Iterable[int] = (), options: SamplingOptions | None = None,
           state: Any = None) -> Iterator[int]:
    """Feed `prompt` once, then yield up to `options.max_tokens` new token ids one by one.

    Stops early after yielding a token in `options.stop_tokens`. The same seed gives the same
    tokens.
    """
    for chunk in sample_chunks(model, prompt, options, state):
        yield from chunk


def sample_chunks(model: TokenModel, prompt: Iterable[int] = (),
                  options: SamplingOptions | None = None, state: Any = None,
                  chunk_seconds: float = CHUNK_SECONDS) -> Iterator[list[int]]:
    """`sample`'s tokens in lists: one token each, or, from a model with a fused drawer
    (`FusedTokenModel`), as many as it draws in about `chunk_seconds` (starting from one, so the
    first token comes at once). The tokens are the same either way: each takes one uniform
    number from the seeded generator, as `Generator.choice` would.
    """
    options = options or SamplingOptions()
    token_mask(options.banned_tokens, model.vocab_size, "banned", strict=True)  # before any work
    rng = np.random.default_rng(options.seed)
    state = model.initial_state() if state is None else state
    history: list[int] = []
    for token in prompt:
        state = model.advance(state, int(token))
        history.append(int(token))
    if options.max_tokens and isinstance(model, FusedTokenModel):
        yield from _drawn_chunks(model.token_drawer(state, history, options), rng,
                                 options.max_tokens, chunk_seconds)
        return
    for step in range(options.max_tokens):
        if step:
            state = model.advance(state, history[-1])  # only when another token is wanted
        token = _next_token(_scores(model, state, options), history, options, rng)
        yield [token]
        if token in options.stop_tokens:
            return
        history.append(token)


def _scores(model: TokenModel, state: Any, options: SamplingOptions) -> np.ndarray:
    """What the next token is drawn from: the model's logits where the repetition penalty needs
    them and the model has them (`logits(state)`), else its log-probabilities (the same
    distribution: a softmax cannot tell the two apart)."""
    logits = getattr(model, "logits", None)
    if options.repetition_penalty != 1.0 and logits is not None:
        return np.asarray(logits(state), dtype=np.float64)
    return np.asarray(model.logprobs(state), dtype=np.float64)


def _next_token(scores: np.ndarray, history: list[int], options: SamplingOptions,
                rng: np.random.Generator) -> int:
    """One token from the next token's logits or log-probabilities `scores`."""
    if options.banned_tokens:
        scores = ban(scores, options.banned_tokens)
    if options.repetition_penalty != 1.0:
        scores = apply_repetition_penalty(scores, history, options.repetition_penalty)
    if options.greedy or options.temperature == 0:
        return int(np.argmax(scores))
    probs = next_token_distribution(scores, options)
    return int(rng.choice(probs.size, p=probs))


def _drawn_chunks(drawer: TokenDrawer, rng: np.random.Generator, budget: int,
                  chunk_seconds: float) -> Iterator[list[int]]:
    """Chunks from a fused drawer, doubling (or halving) so each takes about chunk_seconds."""
    size = 1
    while budget > 0:
        count = min(size, budget)
        started = time.perf_counter()
        tokens = drawer.draw(rng.random(count))
        elapsed = time.perf_counter() - started
        if len(tokens):
            yield tokens.tolist()
        if len(tokens) < count:
            return  # a stop token
        budget -= count
        if elapsed < chunk_seconds / 2:
            size = min(size * 2, MAX_CHUNK)
        elif elapsed > chunk_seconds * 2 and size > 1:
            size //= 2
