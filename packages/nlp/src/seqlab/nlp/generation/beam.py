"""Beam search over any `TokenModel`, with length normalisation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab.nlp.generation.protocol import TokenModel
from seqlab.nlp.generation.sampling import apply_repetition_penalty, ban


@dataclass
class Hypothesis:
    tokens: list[int]
    logprob: float
    state: Any
    finished: bool = False

    def score(self, length_penalty: float) -> float:
        """Log-probability divided by length**alpha (alpha=0: raw sum)."""
        return self.logprob / max(len(self.tokens), 1) ** length_penalty


def beam_search(model: TokenModel, prompt: Iterable[int] = (), beam_width: int = 4,
                max_tokens: int = 50, length_penalty: float = 1.0,
                stop_tokens: Iterable[int] = (), banned_tokens: Iterable[int] = (),
                repetition_penalty: float = 1.0) -> list[int]:
    """The highest-scoring continuation of `prompt` (new tokens only). `repetition_penalty`
    multiplies the log-probability of every token already in the prompt or the beam before
    it is added to the beam's score, as HF generate()'s repetition-penalty logits processor
    does in beam search (the same penalty as sampling's `apply_repetition_penalty`)."""
    if beam_width < 1:
        raise ValueError(f"beam width must be >= 1, got {beam_width}")
    if not repetition_penalty > 0:
        raise ValueError(f"repetition_penalty must be > 0, got {repetition_penalty}")
    prompt = [int(token) for token in prompt]
    stops = set(stop_tokens)
    banned = frozenset(banned_tokens)
    state = model.initial_state()
    for token in prompt:
        state = model.advance(state, int(token))
    beams = [Hypothesis([], 0.0, state)]
    for _ in range(max_tokens):
        candidates: list[Hypothesis] = [b for b in beams if b.finished]
        for beam in beams:
            if beam.finished:
                continue
            logprobs = np.asarray(model.logprobs(beam.state), dtype=np.float64)
            if banned:
                logprobs = ban(logprobs, banned)
            if repetition_penalty != 1.0:
                logprobs = apply_repetition_penalty(logprobs, [*prompt, *beam.tokens],
                                                    repetition_penalty)
            width = min(beam_width, logprobs.size)
            best = np.argpartition(-logprobs, width - 1)[:width]
            for token in best:
                candidates.append(Hypothesis([*beam.tokens, int(token)],
                                             beam.logprob + float(logprobs[token]), beam.state,
                                             finished=int(token) in stops))
        candidates.sort(key=lambda h: h.score(length_penalty), reverse=True)
        beams = candidates[:beam_width]
        for beam in beams:
            if not beam.finished and beam.tokens:
                beam.state = model.advance(beam.state, beam.tokens[-1])
        if all(b.finished for b in beams):
            break
    return max(beams, key=lambda h: h.score(length_penalty)).tokens
