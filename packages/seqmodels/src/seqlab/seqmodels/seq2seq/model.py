"""`Seq2Seq`: an encoder-decoder with attention over token ids, trained by teacher forcing.

    source ids (N, S) -> source embedding -> encoder stack (bidirectional optional)
        -> memory (N, S, H) and final states -> bridge -> decoder initial states
    target_in (N, T) -> target embedding [; previous attentional vector (input feeding)]
        -> decoder stack (N, T, H) -> attention over memory (N, T, H) -> Linear -> logits (N, T, V)

A bidirectional encoder gives each direction H / 2 units, so the memory has H features either
way (OpenNMT's convention) and Luong's dot score needs no projection. The bridge maps each
layer's final encoder state (directions concatenated) to the decoder's: h0 = tanh(W_h h + b_h)
and, for an LSTM, c0 = W_c c + b_c.

Without input feeding the decoder runs as one fused whole-sequence layer and attention as
batched GEMMs over all steps; with it, step t's input carries step t-1's attentional vector, so
the decoder runs one step at a time. On the fused path the encoder, and in `training_loss`
without input feeding the decoder too, touch valid positions only outside the recurrences (the
upper layers' input projections, the attention's output layer, the output layer and the loss
run over packed rows: `packing`, `packed_stack`), and the time loops run over chunks of
sequences of similar length (`chunked_layer`), side by side on the threads (`loop_jobs`);
`forward` keeps the padded (N, T, V) logits. The Trainer contract:
`training_loss(batch, carry)` and `evaluation_metrics(batches)`;
`seqlab.seqmodels.seq2seq.decoding` decodes on plain arrays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator, cat, no_grad, stack, zeros
from seqlab.autograd.nn import Dropout, Embedding, Linear, Module
from seqlab.autograd.nn import functional as F
from seqlab.autograd.threads import seqlab_computing
from seqlab.seqmodels.cell_kinds import cell_kind
from seqlab.seqmodels.config_repr import config_repr
from seqlab.seqmodels.language_model import build_stack
from seqlab.seqmodels.seq2seq.attention import ATTENTIONS, Attention, source_mask
from seqlab.seqmodels.seq2seq.batch import PairBatch
from seqlab.seqmodels.seq2seq.packed_stack import packable, run_packed
from seqlab.seqmodels.seq2seq.packing import Positions, batch_first_join


class Seq2Seq(Module):
    """Encoder-decoder with Luong (dot, general) or Bahdanau (additive) attention."""

    kind = "seq2seq"

    def __init__(self, source_vocab_size: int, target_vocab_size: int, embedding_dim: int,
                 hidden_size: int, num_layers: int = 1, cell: str = "lstm",
                 bidirectional: bool = False, attention: str = "general",
                 input_feeding: bool = False, dropout: float = 0.0, tie_weights: bool = False,
                 pad_id: int = 0, bos_id: int = 2, eos_id: int = 3, dtype: Any = np.float32,
                 generator: Any = None) -> None:
        super().__init__()
        if min(source_vocab_size, target_vocab_size, embedding_dim, hidden_size,
               num_layers) <= 0:
            raise ValueError("vocabulary sizes, embedding_dim, hidden_size and num_layers must "
                             "be positive")
        self.cell_kind = cell_kind(cell)  # ValueError for an unknown cell
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTIONS)}, "
                             f"got {attention!r}")
        if bidirectional and hidden_size % 2:
            raise ValueError(f"a bidirectional encoder splits hidden_size over two directions: "
                             f"it must be even, got {hidden_size}")
        if tie_weights and embedding_dim != hidden_size:
            raise ValueError(f"tie_weights needs embedding_dim == hidden_size, got "
                             f"{embedding_dim} and {hidden_size}")
        self.generator = as_generator(generator)
        self._config = {
            "source_vocab_size": source_vocab_size, "target_vocab_size": target_vocab_size,
            "embedding_dim": embedding_dim, "hidden_size": hidden_size,
            "num_layers": num_layers, "cell": cell, "bidirectional": bool(bidirectional),
            "attention": attention, "input_feeding": bool(input_feeding),
            "dropout": float(dropout), "tie_weights": bool(tie_weights), "pad_id": pad_id,
            "bos_id": bos_id, "eos_id": eos_id, "dtype": np.dtype(dtype).name,
        }
        self.cell, self.hidden_size, self.num_layers = cell, hidden_size, num_layers
        self.input_feeding = bool(input_feeding)
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self.source_vocab_size, self.target_vocab_size = source_vocab_size, target_vocab_size
        options = {"dtype": dtype, "generator": self.generator}
        directions = 2 if bidirectional else 1
        self.source_embedding = Embedding(source_vocab_size, embedding_dim, **options)
        self.encoder = build_stack(cell, embedding_dim, hidden_size // directions, num_layers,
                                   dropout=dropout, bidirectional=bidirectional,
                                   batch_first=True, **options)
        self.bridge_h = Linear(hidden_size, hidden_size, **options)
        if self.cell_kind.has_cell_state:
            self.bridge_c = Linear(hidden_size, hidden_size, **options)
        self.target_embedding = Embedding(target_vocab_size, embedding_dim, **options)
        decoder_input = embedding_dim + (hidden_size if input_feeding else 0)
        self.decoder = build_stack(cell, decoder_input, hidden_size, num_layers, dropout=dropout,
                                   batch_first=True, **options)
        self.attention = Attention(attention, hidden_size, **options)
        self.drop = Dropout(dropout, generator=self.generator)
        self.output = Linear(hidden_size, target_vocab_size, **options)
        if tie_weights:
            self.output.weight = self.target_embedding.weight

    # ------------------------------------------------------------------ config
    @property
    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this architecture (JSON-able)."""
        return {"model": "Seq2Seq", **self._config}

    @classmethod
    def from_config(cls, config: dict[str, Any], generator: Any = None) -> Seq2Seq:
        """A fresh model of the architecture `config` describes."""
        return cls(**{k: v for k, v in config.items() if k != "model"}, generator=generator)

    @property
    def dtype(self) -> np.dtype:
        return self.output.weight.dtype

    # ------------------------------------------------------------------ encoder
    def check_source(self, source: Any, lengths: Any) -> tuple[np.ndarray, np.ndarray]:
        """Source ids (N, S) int64 and lengths (N,), validated; N = 0 is an error."""
        ids = np.asarray(source)
        lengths = np.asarray(lengths)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"source must be (N, S) integer ids, got {ids.shape} {ids.dtype}")
        if ids.shape[0] == 0 or ids.shape[1] == 0:
            raise ValueError(f"empty batch: source is {ids.shape}; a batch needs at least one "
                             f"pair with at least one source token")
        if ids.min() < 0 or ids.max() >= self.source_vocab_size:
            raise ValueError(f"source ids must lie in [0, {self.source_vocab_size}), got min "
                             f"{ids.min()} max {ids.max()}")
        if lengths.shape != (ids.shape[0],) or not np.issubdtype(lengths.dtype, np.integer) \
                or lengths.min() < 1 or lengths.max() > ids.shape[1]:
            raise ValueError(f"source_lengths must be (N,) = ({ids.shape[0]},) integers in "
                             f"[1, {ids.shape[1]}], got {lengths}")
        return ids.astype(np.int64, copy=False), lengths.astype(np.int64, copy=False)

    def check_targets(self, target: Any, batch: int, name: str = "target_in") -> np.ndarray:
        """Target ids (N, T) int64 for a batch of `batch` sources, validated."""
        ids = np.asarray(target)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer) or ids.shape[0] != batch \
                or ids.shape[1] == 0:
            raise ValueError(f"{name} must be (N, T) integer ids with N = {batch} (the "
                             f"source's) and T >= 1, got {ids.shape} {ids.dtype}")
        if ids.min() < 0 or ids.max() >= self.target_vocab_size:
            raise ValueError(f"{name} ids must lie in [0, {self.target_vocab_size}), got min "
                             f"{ids.min()} max {ids.max()}")
        return ids.astype(np.int64, copy=False)

    def encode(self, source: Any, lengths: Any) -> tuple[Tensor, Any]:
        """Memory (N, S, H) and the decoder's initial state h0 or (h0, c0), each (L, N, H)."""
        ids, lengths = self.check_source(source, lengths)
        if packable(self.encoder):
            with seqlab_computing():  # BLAS on one thread, as inside a module call
                return self._encode_packed(ids, lengths)
        embedded = self.drop(self.source_embedding(ids))
        memory, final = self.encoder(embedded, None, lengths=lengths)
        if self.cell_kind.has_cell_state:
            h_n, c_n = final
            return memory, (self.bridge_h(self._join_directions(h_n)).tanh(),
                            self.bridge_c(self._join_directions(c_n)))
        return memory, self.bridge_h(self._join_directions(final)).tanh()

    def _encode_packed(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[Tensor, Any]:
        """`encode` on the fused path: the encoder's upper layers project valid positions only
        (`packed_stack`), its directions join straight into the batch-first memory."""
        positions = Positions.of(lengths, ids.shape[1])
        outputs, h_finals, c_finals = run_packed(
            self.encoder, self.source_embedding, np.ascontiguousarray(ids.T), positions,
            embedding_dropout=self.drop, generator=self.generator)
        memory = batch_first_join(outputs)
        h0 = self.bridge_h(self._join_directions(h_finals)).tanh()
        if self.cell_kind.has_cell_state:
            return memory, (h0, self.bridge_c(self._join_directions(c_finals)))
        return memory, h0

    def _join_directions(self, finals: Tensor | list[Tensor]) -> Tensor:
        """(L, N, H) from the encoder's final states, (L * D, N, H / D) or the list of them
        in the stack's order: each layer's directions side by side."""
        state = stack(finals, 0) if isinstance(finals, list) else finals
        directions = self.encoder.num_directions
        if directions == 1:
            return state
        layers, batch = self.num_layers, state.shape[1]
        per_direction = state.reshape(layers, directions, batch, state.shape[2])
        return per_direction.permute(0, 2, 1, 3).reshape(layers, batch, self.hidden_size)

    # ------------------------------------------------------------------ teacher forcing
    def forward(self, source: Any, source_lengths: Any, target_in: Any) -> Tensor:
        """Logits (N, T, V) of every target step given the previous reference tokens."""
        logits, _ = self.forward_with_attention(source, source_lengths, target_in)
        return logits

    def forward_with_attention(self, source: Any, source_lengths: Any,
                               target_in: Any) -> tuple[Tensor, Tensor]:
        """(logits (N, T, V), attention weights (N, T, S)) under teacher forcing."""
        ids, lengths = self.check_source(source, source_lengths)
        targets = self.check_targets(target_in, ids.shape[0])
        memory, state = self.encode(ids, lengths)
        keep = source_mask(lengths, memory.shape[1])
        keys = self.attention.keys(memory)
        embedded = self.drop(self.target_embedding(targets))
        if self.input_feeding:
            attentional, weights = self._decode_fed(embedded, state, memory, keys, keep)
        else:
            queries, _ = self.decoder(embedded, state)
            attentional, weights = self.attention(queries, memory, keys, keep)
        return self.output(self.drop(attentional)), weights

    def _decode_fed(self, embedded: Tensor, state: Any, memory: Tensor, keys: Tensor,
                    keep: np.ndarray) -> tuple[Tensor, Tensor]:
        """Step by step: step t's input is [embedding; attentional vector of step t-1]."""
        batch, steps = embedded.shape[0], embedded.shape[1]
        previous = zeros((batch, 1, self.hidden_size), dtype=self.dtype)
        outputs, all_weights = [], []
        for t in range(steps):
            query, state = self.decoder(cat([embedded[:, t : t + 1], previous], dim=2), state)
            previous, weights = self.attention(query, memory, keys, keep)
            outputs.append(previous)
            all_weights.append(weights)
        return cat(outputs, dim=1), cat(all_weights, dim=1)

    # ------------------------------------------------------------------ Trainer contract
    def training_loss(self, batch: PairBatch, carry: Any = None) -> tuple[Tensor, int, None]:
        """Mean cross-entropy over the batch's target tokens, their count, and no carry."""
        ids, lengths = self.check_source(batch.source, batch.source_lengths)
        target_in = self.check_targets(batch.target_in, ids.shape[0])
        target_out = self.check_targets(batch.target_out, ids.shape[0], "target_out")
        if target_out.shape != target_in.shape:
            raise ValueError(f"target_out must have target_in's shape {target_in.shape}, got "
                             f"{target_out.shape}")
        positions = self._target_positions(target_out)
        if positions is not None and not self.input_feeding and packable(self.decoder):
            with seqlab_computing():
                loss = self._packed_loss(ids, lengths, target_in, target_out, positions)
            return loss, positions.count, None
        logits = self.forward(ids, lengths, target_in)
        targets = target_out.reshape(-1)
        loss = F.cross_entropy(logits.reshape(-1, self.target_vocab_size), targets,
                               ignore_index=self.pad_id)
        return loss, int(np.count_nonzero(targets != self.pad_id)), None

    def _target_positions(self, target_out: np.ndarray) -> Positions | None:
        """The valid target positions (N, T) -> Positions, or None when padding is not only
        at the ends of the rows (the padded path then scores what is not padding)."""
        valid = np.asarray(target_out) != self.pad_id
        lengths = valid.sum(axis=1)
        steps = valid.shape[1]
        if lengths.min(initial=1) < 1 or not (
                valid == (np.arange(steps)[None, :] < lengths[:, None])).all():
            return None
        return Positions.of(lengths, steps)

    def _packed_loss(self, source: np.ndarray, lengths: np.ndarray, target_in: np.ndarray,
                     target_out: np.ndarray, positions: Positions) -> Tensor:
        """Teacher-forced loss without input feeding, over the valid target positions only:
        the decoder's upper input projections, the attention's output layer, the output
        layer and the loss run over M rows instead of N x T. The arguments are checked
        (`training_loss`); `positions` are target_out's valid positions."""
        memory, state = self.encode(source, lengths)
        keep = source_mask(lengths, memory.shape[1])
        keys = self.attention.keys(memory)
        outputs, _, _ = run_packed(self.decoder, self.target_embedding,
                                   np.ascontiguousarray(target_in.T), positions, state,
                                   embedding_dropout=self.drop, generator=self.generator)
        attentional = self.attention.attend_rows(outputs[0], memory, keys, keep, positions)
        logits = self.output(self.drop(attentional))
        return F.cross_entropy(logits, target_out.reshape(-1)[positions.batch_first])

    def evaluation_metrics(self, batches: Iterable[PairBatch], decode: bool = True,
                           unk_id: int | None = 1) -> dict[str, float]:
        """Loss (nats per target token) and, with `decode`, greedy exact match and token
        error rate (edit distance over reference length), in eval mode without a graph.

        A reference token encoded as `unk_id` (seqlab's tokenizers' <unk>: a word the target
        vocabulary lacks) matches no output token, an output <unk> included: the reference
        holds a word the model cannot write. None: no id is special."""
        from seqlab.seqmodels.seq2seq.decoding import greedy_decode
        from seqlab.seqmodels.seq2seq.metrics import edit_distance

        was_training = self.training
        self.eval()
        total, count, exact, pairs, errors, reference_tokens = 0.0, 0, 0, 0, 0, 0
        with no_grad():
            for batch in batches:
                loss, tokens, _ = self.training_loss(batch)
                total += float(loss.item()) * tokens
                count += tokens
                if not decode:
                    continue
                hypotheses = greedy_decode(self, batch.source, batch.source_lengths).tokens
                for row, hypothesis in zip(batch.target_out, hypotheses):
                    # an unknown reference word is -1, which no output id equals
                    reference = [-1 if t == unk_id else int(t) for t in row
                                 if t not in (self.pad_id, self.eos_id)]
                    exact += hypothesis == reference
                    errors += edit_distance(hypothesis, reference)
                    reference_tokens += len(reference)
                    pairs += 1
        self.train(was_training)
        metrics = {"loss": total / max(count, 1), "target_tokens": float(count)}
        if decode and pairs:
            metrics["exact_match"] = exact / pairs
            metrics["token_error_rate"] = errors / max(reference_tokens, 1)
        return metrics

    def extra_repr(self) -> str:
        return config_repr(self._config)
