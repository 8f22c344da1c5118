"""One token through a trained language model at batch 1, as fast as a CPU allows.

`GenerationPlan` snapshots the weights once per generation in the layout of
`seqlab.autograd.kernels.generation` (pre-transposed, stacked per layer, biases combined, and for
a small vocabulary layer 0's input projection of every token as one table), so each token is one
jitted call through every layer and the output layer, with no Tensor or temporaries per token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.autograd import aligned
from seqlab.autograd.kernels import generation as kernels
from seqlab.autograd.threads import seqlab_computing

# Layer 0's input projection becomes a (V, G*H) table when the vocabulary is at most this many
# times the embedding width: the table costs V*E*G*H multiply-adds once and saves E*G*H per token
# (and a weight read), so it pays back within V tokens; char vocabularies take it, large word
# vocabularies (10k+) would spend more building it than a typical run samples.
TABLE_VOCAB_PER_EMBEDDING_DIM = 4


@dataclass(frozen=True)
class GenerationPlan:
    """The weights one generation run reads, laid out for the fused per-token kernels."""

    kind_code: int
    table: np.ndarray  # (V, G*H) layer 0's projection per token, or (0, G*H)
    embedding: np.ndarray  # (V, E)
    w_ih0_t: np.ndarray  # (E, G*H), unused with a table
    bias0: np.ndarray  # (G*H,)
    w_ih_t: np.ndarray  # (L-1, H, G*H)
    bias: np.ndarray  # (L-1, G*H): b_ih + b_hh (LSTM, RNN) or b_ih (GRU)
    w_hh_t: np.ndarray  # (L, H, G*H)
    b_hh: np.ndarray  # (L, G*H): GRU only, inside the reset gate
    decoder_t: np.ndarray  # (H, V)
    decoder_bias: np.ndarray  # (V,)
    has_cell_state: bool

    @classmethod
    def from_model(cls, model) -> GenerationPlan:
        """Snapshot a LanguageModel's current weights.

        Its products run with BLAS on one thread (`seqlab_computing`): a team woken here went
        on spinning beside the one-thread token loop that follows (`seqlab generate` at
        OMP_NUM_THREADS=2 burnt a second core for the same chars/s)."""
        with seqlab_computing():
            return cls._from_model(model)

    @classmethod
    def _from_model(cls, model) -> GenerationPlan:
        stack, dtype = model.rnn, model.embedding.weight.data.dtype
        projections, recurrent, biases, hidden_biases = [], [], [], []
        for layer in range(stack.num_layers):
            w_ih, w_hh, b_ih, b_hh = (None if w is None else w.data
                                      for w in stack.layer_weights(layer, 0))
            gates = w_hh.shape[0]
            b_ih = np.zeros(gates, dtype) if b_ih is None else b_ih
            b_hh = np.zeros(gates, dtype) if b_hh is None else b_hh
            projections.append(w_ih.T)
            recurrent.append(w_hh.T)
            biases.append(stack.kind.projection_bias(b_ih, b_hh))
            hidden_biases.append(b_hh)
        embedding = model.embedding.weight.data
        w_ih0_t = np.ascontiguousarray(projections[0])
        vocab, embedding_dim = embedding.shape
        if vocab <= TABLE_VOCAB_PER_EMBEDDING_DIM * embedding_dim:
            table = embedding @ w_ih0_t + biases[0]
        else:
            table = np.zeros((0, w_ih0_t.shape[1]), dtype)
        decoder = model.decoder
        decoder_bias = decoder.bias.data if decoder.bias is not None else \
            np.zeros(decoder.weight.shape[0], dtype)
        hidden, width = recurrent[0].shape
        upper_projections = np.stack(projections[1:]) if len(projections) > 1 else \
            np.zeros((0, hidden, width), dtype)
        upper_biases = np.stack(biases[1:]) if len(biases) > 1 else np.zeros((0, width), dtype)
        # the matrices every token reads start on a line (where malloc puts them varies: 5%
        # a token: `aligned`, as every Parameter)
        return cls(
            kind_code=stack.kind.generation_code,
            table=aligned.copy(np.asarray(table, dtype)),
            embedding=embedding.copy(),
            w_ih0_t=aligned.copy(w_ih0_t),
            bias0=biases[0].copy(),
            w_ih_t=aligned.copy(upper_projections),
            bias=np.ascontiguousarray(upper_biases),
            w_hh_t=aligned.copy(np.stack(recurrent)),
            b_hh=np.ascontiguousarray(np.stack(hidden_biases)),
            decoder_t=aligned.copy(decoder.weight.data.T),
            decoder_bias=decoder_bias.copy(),
            has_cell_state=stack.kind.has_cell_state,
        )

    @property
    def vocab_size(self) -> int:
        return self.decoder_t.shape[1]

    def kernel_weights(self) -> tuple:
        """The kernel arguments from `kind` to `decoder_bias`, in order."""
        return (self.kind_code, self.table, self.embedding, self.w_ih0_t, self.bias0, self.w_ih_t,
                self.bias, self.w_hh_t, self.b_hh, self.decoder_t, self.decoder_bias)

    def working_state(self, hidden: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Fresh (L, H) copies of h and c (zeros for cells without c) the kernels update."""
        h = np.ascontiguousarray(hidden[0][:, 0, :], dtype=self.w_hh_t.dtype).copy()
        c = hidden[1][:, 0, :].copy() if self.has_cell_state else np.zeros_like(h)
        return h, np.ascontiguousarray(c, dtype=h.dtype)

    def pack_state(self, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, ...]:
        """(L, H) working arrays back into the (h,) or (h, c) of (L, 1, H) a state holds."""
        return (h[:, None, :], c[:, None, :]) if self.has_cell_state else (h[:, None, :],)

    def step(self, token: int, hidden: tuple[np.ndarray, ...]):
        """Feed one token; returns (new hidden (h,) or (h, c) each (L, 1, H), logprobs (V,))."""
        hidden, logprobs, _ = self.scored_step(token, hidden)
        return hidden, logprobs

    def scored_step(self, token: int, hidden: tuple[np.ndarray, ...]):
        """`step` and the log normalizer logsumexp(logits) of its logprobs (logits = logprobs
        + normalizer: the repetition penalty reads logits)."""
        h, c = self.working_state(hidden)
        logprobs = np.empty(self.vocab_size, np.float64)
        normalizer = kernels.model_step(token, *self.kernel_weights(), h, c, logprobs)
        return self.pack_state(h, c), logprobs, float(normalizer)

    def initial_logprobs(self, hidden: tuple[np.ndarray, ...]) -> np.ndarray:
        """Next-token log-probabilities read from the top layer's h (before any token)."""
        return self.initial_scores(hidden)[0]

    def initial_scores(self, hidden: tuple[np.ndarray, ...]) -> tuple[np.ndarray, float]:
        """`initial_logprobs` and their log normalizer logsumexp(logits)."""
        with seqlab_computing():  # (no BLAS team to spin on, see from_model)
            logits = (hidden[0][-1, 0] @ self.decoder_t).astype(np.float64) + self.decoder_bias
        top = logits.max()
        log_total = np.log(np.exp(logits - top).sum())
        return logits - top - log_total, float(top + log_total)
