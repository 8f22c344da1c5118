"""`LanguageModel`: Embedding -> RNN/LSTM/GRU stack -> dropout -> Linear over the vocabulary.

Two ways to run it:

- `forward(tokens (T, N), state)` -> `(logits (T, N, V), state)`: the autograd path, for training.
- `step(token_ids (N,), state)` -> `(logprobs (N, V), state)`: one step on plain ndarrays with no
  graph, for generation.

It also implements the sampler interface (`seqlab.nlp.generation.protocol.TokenModel`) that
neural and n-gram models share, stepping one token at a time through immutable states:

    state = model.initial_state()             # before any token: LMState(hidden, logprobs)
    state = model.advance(state, token_id)    # feed one token, get a NEW state
    logp = model.logprobs(state)              # (V,) float64 log-probabilities of the next token

`advance` runs one jitted call through every layer at batch 1 (`GenerationPlan`) and stores the
next-token log-probabilities in the state, so `logprobs` is free and beam search can branch from
one state many times. `token_drawer` is the sampler's fast path (`FusedTokenModel`): many tokens
drawn per jitted call, the tokens the per-token loop would pick from the same uniform numbers
(up to rounding: a number within ~1e-15 of a cumulative-probability boundary may fall on the
other side, since the two sum and exponentiate in different orders).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator
from seqlab.autograd.nn import Dropout, Embedding, Linear, Module
from seqlab.autograd.nn import functional as F
from seqlab.seqmodels.cell_kinds import CELLS, cell_kind
from seqlab.seqmodels.config_repr import config_repr
from seqlab.seqmodels.generation_step import GenerationPlan
from seqlab.seqmodels.recurrent import build_stack, fused_available
from seqlab.seqmodels.token_drawer import TokenDrawer

__all__ = ["CELLS", "LMState", "LanguageModel", "build_stack", "detach_state", "fused_available",
           "state_arrays"]

State = Any  # Tensor / ndarray (RNN, GRU) or a (h, c) pair of them (LSTM)


def detach_state(state: State) -> State:
    """The same recurrent state, cut from the graph (truncated BPTT)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(detach_state(part) for part in state)
    return state.detach() if isinstance(state, Tensor) else Tensor(state)


def state_arrays(state: State) -> tuple[np.ndarray, ...]:
    """The arrays of a state, in order: (h,) or (h, c)."""
    parts = state if isinstance(state, tuple) else (state,)
    return tuple(part.data if isinstance(part, Tensor) else np.asarray(part) for part in parts)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class LMState:
    """A generation state: recurrent arrays (h,) or (h, c), each (L, 1, H), the next-token
    logprobs, and the weight snapshot the run steps with (shared by every state of one run)."""

    hidden: tuple[np.ndarray, ...]
    next_logprobs: np.ndarray
    plan: GenerationPlan | None = field(default=None, compare=False, repr=False)
    # logsumexp of the logits behind next_logprobs: logits = next_logprobs + this; None (a
    # state built by hand) is the model's for `hidden` (LanguageModel.log_normalizer)
    next_log_normalizer: float | None = None


class LanguageModel(Module):
    """A recurrent language model over token ids, PyTorch word_language_model style."""

    kind = "language_model"

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0,
                 tie_weights: bool = False, dtype: Any = np.float32,
                 generator: Any = None) -> None:
        super().__init__()
        if vocab_size <= 0 or embedding_dim <= 0:
            raise ValueError(
                f"vocab_size and embedding_dim must be positive, got {vocab_size}, {embedding_dim}"
            )
        if tie_weights and embedding_dim != hidden_size:
            raise ValueError(
                f"tie_weights needs embedding_dim == hidden_size, got {embedding_dim} and "
                f"{hidden_size}"
            )
        self.kind = cell_kind(cell)  # ValueError for an unknown cell
        # One generator for init and every dropout mask: saving its state makes runs resumable.
        self.generator = as_generator(generator)
        self.vocab_size = vocab_size
        self.cell = cell
        self.tie_weights = tie_weights
        self._config = {
            "vocab_size": vocab_size, "embedding_dim": embedding_dim, "hidden_size": hidden_size,
            "num_layers": num_layers, "cell": cell, "dropout": float(dropout),
            "tie_weights": bool(tie_weights), "dtype": np.dtype(dtype).name,
        }
        self.embedding = Embedding(vocab_size, embedding_dim, dtype=dtype,
                                   generator=self.generator)
        self.rnn = build_stack(cell, embedding_dim, hidden_size, num_layers, dropout=dropout,
                               dtype=dtype, generator=self.generator)
        self.drop = Dropout(dropout, generator=self.generator)
        self.decoder = Linear(hidden_size, vocab_size, dtype=dtype, generator=self.generator)
        if tie_weights:
            self.decoder.weight = self.embedding.weight

    # ------------------------------------------------------------------ config
    @property
    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this architecture (JSON-able)."""
        return {"model": "LanguageModel", **self._config}

    @classmethod
    def from_config(cls, config: dict[str, Any], generator: Any = None) -> LanguageModel:
        """A fresh model of the architecture `config` describes."""
        options = {key: value for key, value in config.items() if key != "model"}
        return cls(**options, generator=generator)

    @property
    def hidden_size(self) -> int:
        return self.rnn.hidden_size

    @property
    def num_layers(self) -> int:
        return self.rnn.num_layers

    @property
    def dtype(self) -> np.dtype:
        return self.rnn.dtype

    # ------------------------------------------------------------------ training path
    def init_state(self, batch: int) -> State:
        """A zero recurrent state for `batch` sequences: h or (h, c), each (L, N, H)."""
        shape = (self.num_layers, batch, self.hidden_size)
        if self.kind.has_cell_state:
            return Tensor(np.zeros(shape, self.dtype)), Tensor(np.zeros(shape, self.dtype))
        return Tensor(np.zeros(shape, self.dtype))

    def forward(self, tokens: Any, state: State = None) -> tuple[Tensor, State]:
        """Logits (T, N, V) for token ids (T, N), and the state after the last step."""
        ids = self._token_ids(tokens)
        if ids.ndim != 2:
            raise ValueError(f"tokens must be (T, N) token ids, got shape {ids.shape}")
        if state is not None:
            state = tuple(map(_as_tensor, state)) if isinstance(state, tuple) else _as_tensor(state)
        # with no dropout on the embeddings the stack sees the embedding's own output and,
        # for a small vocabulary, reads layer 0's projection from a (V, G*H) table
        output, state = self.rnn(self.drop(self.embedding(ids)), state)
        return self.decoder(self.drop(output)), state

    def _folds_embedding(self, ids: np.ndarray) -> bool:
        """Whether layer 0's input projection is gathered from a (V, G*H) table: with no
        dropout on the embeddings, when the stack reads tables for this many tokens."""
        no_dropout = not self.training or self.drop.p == 0
        return no_dropout and self.rnn.reads_embedding_table(self.vocab_size, ids.size)

    def _token_ids(self, tokens: Any) -> np.ndarray:
        ids = np.asarray(tokens.data if isinstance(tokens, Tensor) else tokens)
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"tokens must be integer ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(
                f"token ids must lie in [0, {self.vocab_size}), got min {ids.min()} "
                f"max {ids.max()}: the tokenizer's vocabulary does not match this model"
            )
        return ids.astype(np.int64, copy=False)

    # ------------------------------------------------------------------ generation path
    def step(self, token_ids: Any, state: State = None) -> tuple[np.ndarray, State]:
        """Next-token log-probabilities (N, V) after feeding one token per sequence.

        Plain ndarrays, no graph, eval mode (no dropout): the state in and out is h or (h, c)
        as ndarrays (L, N, H). The input state is not modified.
        """
        ids = self._token_ids(np.atleast_1d(np.asarray(token_ids)))
        hidden = state_arrays(state) if state is not None else state_arrays(
            self.init_state(ids.shape[0]))
        h_all = hidden[0]
        c_all = hidden[1] if self.kind.has_cell_state else None
        x = self.embedding.weight.data[ids]
        new_h, new_c = [], []
        for layer in range(self.num_layers):
            h, c = self._cell_step(layer, x, h_all[layer], None if c_all is None else c_all[layer])
            new_h.append(h)
            new_c.append(c)
            x = h
        logits = x @ self.decoder.weight.data.T
        if self.decoder.bias is not None:
            logits += self.decoder.bias.data
        h_out = np.stack(new_h)
        state_out = (h_out, np.stack(new_c)) if self.kind.has_cell_state else h_out
        return _log_softmax(logits), state_out

    def _cell_step(self, layer: int, x: np.ndarray, h: np.ndarray,
                   c: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """One step of one layer through its kind's step kernel (on ndarrays, no graph)."""
        w_ih, w_hh, b_ih, b_hh = (None if w is None else w.data
                                  for w in self.rnn.layer_weights(layer, 0))
        kind = self.kind
        xg = x @ w_ih.T
        bias = kind.projection_bias(b_ih, b_hh)
        if bias is not None:
            xg += bias
        if kind.hh_bias_in_loop and b_hh is None:
            b_hh = np.zeros(w_hh.shape[0], w_hh.dtype)
        return kind.step(np.ascontiguousarray(xg), np.ascontiguousarray(h),
                         None if c is None else np.ascontiguousarray(c),
                         np.ascontiguousarray(w_hh.T), b_hh)

    # ------------------------------------------------------------------ sampler interface
    def initial_state(self) -> LMState:
        """The state before any token: zero recurrent state, logprobs read from it.

        It snapshots the weights for the fast per-token path (`GenerationPlan`), so a run
        started here is unaffected by later training steps.
        """
        plan = GenerationPlan.from_model(self)
        hidden = state_arrays(self.init_state(1))
        logprobs, normalizer = plan.initial_scores(hidden)
        return LMState(hidden, logprobs, plan, normalizer)

    def advance(self, state: LMState, token_id: int) -> LMState:
        """A new state: `state` after feeding `token_id` (state itself is unchanged)."""
        token = int(token_id)
        if not 0 <= token < self.vocab_size:
            raise ValueError(f"token id {token} is outside the vocabulary [0, {self.vocab_size})")
        plan = state.plan if state.plan is not None else GenerationPlan.from_model(self)
        hidden, logprobs, normalizer = plan.scored_step(token, state.hidden)
        return LMState(hidden, logprobs, plan, normalizer)

    def logprobs(self, state: LMState) -> np.ndarray:
        """Natural-log probabilities (V,) of the next token in `state`."""
        return state.next_logprobs

    def logits(self, state: LMState) -> np.ndarray:
        """The output layer's logits (V,) of the next token in `state` (what the sampler's
        repetition penalty acts on, as HF's RepetitionPenaltyLogitsProcessor)."""
        return state.next_logprobs + self.log_normalizer(state)

    def log_normalizer(self, state: LMState, plan: GenerationPlan | None = None) -> float:
        """logsumexp of the logits behind `state.next_logprobs`: the state's own, or for a
        state built by hand without one, the model's for `state.hidden` (through `plan`, the
        state's or a snapshot of the model's weights when neither is given)."""
        if state.next_log_normalizer is not None:
            return state.next_log_normalizer
        plan = plan or state.plan or GenerationPlan.from_model(self)
        return plan.initial_scores(state.hidden)[1]

    def token_drawer(self, state: LMState, history: Iterable[int], rule: Any) -> TokenDrawer:
        """Draws the tokens after `state` in chunks, one jitted call each (the sampler's fast
        path): `rule` is a `SamplingOptions`, `history` the tokens already fed (the prompt)."""
        plan = state.plan if state.plan is not None else GenerationPlan.from_model(self)
        return TokenDrawer(plan, state.hidden, state.next_logprobs, history, rule,
                           self.log_normalizer(state, plan))

    def _hidden(self, state: LMState) -> State:
        return state.hidden if self.kind.has_cell_state else state.hidden[0]

    # ------------------------------------------------------------------ Trainer protocol
    def training_loss(self, batch: tuple[np.ndarray, np.ndarray],
                      carry: State) -> tuple[Tensor, int, State]:
        """Mean next-token cross-entropy of a (T, N) chunk, its token count, and the state
        after it (detached) to carry into the next chunk; a None carry starts from zeros."""
        inputs, targets = batch
        state = carry if carry is not None else self.init_state(inputs.shape[1])
        logits, state = self(inputs, state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               np.asarray(targets).reshape(-1))
        return loss, int(np.size(targets)), detach_state(state)

    def evaluation_metrics(self, batches: Any) -> dict[str, float]:
        """Loss (nats per token), perplexity, bits per token and token count over `batches`
        (consecutive chunks: the state carries from one to the next)."""
        from seqlab.seqmodels.metrics import loss_metrics

        total, count, state = 0.0, 0, None
        for inputs, targets in batches:
            if state is None:
                state = self.init_state(inputs.shape[1])
            logits, state = self(inputs, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   np.asarray(targets).reshape(-1), reduction="sum")
            total += float(loss.item())
            count += int(np.size(targets))
        if not count:
            raise ValueError("no tokens to evaluate")
        return {**loss_metrics(total / count), "tokens": count}

    def extra_repr(self) -> str:
        return config_repr(self._config)


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))
