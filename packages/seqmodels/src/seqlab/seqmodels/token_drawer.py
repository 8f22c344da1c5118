"""Sampling many tokens from a language model in one jitted call (`kernels.generation`).

`TokenDrawer` is what `LanguageModel.token_drawer` returns to the shared sampler
(`seqlab.nlp.generation.sample_chunks`): it owns a working copy of the recurrent state and the
sampling rule, and `draw(uniforms)` returns the next tokens, one uniform number each, as the
sampler's per-token NumPy loop would pick them from the same numbers (up to rounding: a number
within ~1e-15 of a cumulative-probability boundary may fall on the other side, since the kernel
sums and exponentiates in its own order; seeded runs of the fast path repeat exactly).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from seqlab.autograd.kernels.generation import sample_tokens
from seqlab.autograd.token_masks import token_mask
from seqlab.seqmodels.generation_step import GenerationPlan


class TokenDrawer:
    """Draws tokens in chunks from a snapshot of a language model and a sampling rule.

    `rule` is read by attribute (the sampler's `SamplingOptions`): temperature, top_k, top_p,
    repetition_penalty, greedy, stop_tokens, banned_tokens. `history` is what the repetition
    penalty counts as seen (the prompt); `log_normalizer` is logsumexp of the logits behind
    `logprobs` (the penalty acts on logits, as HF's RepetitionPenaltyLogitsProcessor).
    """

    def __init__(self, plan: GenerationPlan, hidden: tuple[np.ndarray, ...],
                 logprobs: np.ndarray, history: Iterable[int], rule: Any,
                 log_normalizer: float = 0.0) -> None:
        vocab = plan.vocab_size
        self._plan = plan
        self._weights = plan.kernel_weights()
        self._h, self._c = plan.working_state(hidden)
        self._logprobs = np.array(logprobs, dtype=np.float64)
        # logits = logprobs + log_normalizer: the repetition penalty acts on logits
        self._log_normalizer = np.array([log_normalizer], dtype=np.float64)
        self._pending = -1  # the last token drawn, fed when the next one is wanted
        self._seen = token_mask(history, vocab, "prompt", strict=True)
        self._banned = token_mask(rule.banned_tokens, vocab, "banned", strict=True)
        self._stop = token_mask(rule.stop_tokens, vocab, "stop", strict=False)
        self._penalty = float(rule.repetition_penalty)
        self._greedy = bool(rule.greedy or rule.temperature == 0)
        self._temperature = max(float(rule.temperature), 1e-12)
        self._top_k = 0 if rule.top_k is None else int(rule.top_k)
        self._top_p = 1.0 if rule.top_p is None else float(rule.top_p)

    def draw(self, uniforms: np.ndarray) -> np.ndarray:
        """The next tokens (int64), one per uniform in [0, 1); fewer only when the last one is
        a stop token (after which nothing more may be drawn)."""
        uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
        tokens = np.empty(uniforms.shape[0], np.int64)
        count = sample_tokens(self._pending, *self._weights, self._h, self._c, self._logprobs,
                              self._log_normalizer, uniforms, self._seen, self._banned,
                              self._stop, self._penalty, self._temperature, self._top_k,
                              self._top_p, self._greedy, tokens)
        if count:
            self._pending = int(tokens[count - 1])
        return tokens[:count]
