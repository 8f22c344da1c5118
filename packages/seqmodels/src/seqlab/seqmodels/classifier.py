"""`SequenceClassifier`: many-to-one classification of variable-length token sequences."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator, cat
from seqlab.autograd.nn import Dropout, Embedding, Linear, Module
from seqlab.seqmodels.cell_kinds import cell_kind
from seqlab.seqmodels.config_repr import config_repr
from seqlab.seqmodels.recurrent import build_stack

POOLINGS = ("last", "mean", "max")


class SequenceClassifier(Module):
    """Embedding -> (bi)RNN/LSTM/GRU -> pooling over valid steps -> dropout -> Linear.

    `forward(tokens (N, T), lengths (N,) | None)` -> logits (N, num_classes). Steps at or after a
    sequence's length are padding: they change no state and no pooled value.

    Trains through `Trainer` on batches `(tokens (N, T), lengths (N,), labels (N,))` (an
    `ExampleBatches` over padded ids, lengths and labels); `class_weights` (C,), when set,
    weights the training loss per class (e.g. "balanced" weights for skewed labels).
    """

    kind = "classifier"

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, num_classes: int,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = False,
                 pooling: str = "last", dropout: float = 0.0,
                 pretrained_embeddings: Any = None, freeze_embeddings: bool = True,
                 padding_idx: int | None = 0, dtype: Any = np.float32,
                 generator: Any = None) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
        cell_kind(cell)  # ValueError for an unknown cell (every head takes cell_kind's names)
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        if pretrained_embeddings is not None:
            matrix = np.asarray(getattr(pretrained_embeddings, "data", pretrained_embeddings))
            if matrix.shape != (vocab_size, embedding_dim):
                raise ValueError(
                    f"pretrained_embeddings must be (vocab_size, embedding_dim) = "
                    f"({vocab_size}, {embedding_dim}), got {matrix.shape}"
                )
        self.generator = as_generator(generator)
        self.pooling = pooling
        self.vocab_size = vocab_size
        frozen = pretrained_embeddings is not None and freeze_embeddings
        self._config = {
            "vocab_size": vocab_size, "embedding_dim": embedding_dim,
            "hidden_size": hidden_size, "num_classes": num_classes, "num_layers": num_layers,
            "cell": cell, "bidirectional": bool(bidirectional), "pooling": pooling,
            "dropout": float(dropout), "padding_idx": padding_idx,
            "dtype": np.dtype(dtype).name, "embeddings_frozen": bool(frozen),
        }
        self.embedding = Embedding(vocab_size, embedding_dim, padding_idx=padding_idx,
                                   dtype=dtype, generator=self.generator)
        if pretrained_embeddings is not None:
            self.embedding.weight.data = matrix.astype(dtype, copy=True)
        self.embedding.weight.requires_grad = not frozen
        self.rnn = build_stack(cell, embedding_dim, hidden_size, num_layers, dropout=dropout,
                               bidirectional=bidirectional, batch_first=True, dtype=dtype,
                               generator=self.generator)
        self.drop = Dropout(dropout, generator=self.generator)
        directions = 2 if bidirectional else 1
        self.classifier = Linear(directions * hidden_size, num_classes, dtype=dtype,
                                 generator=self.generator)
        self.class_weights: np.ndarray | None = None

    @property
    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this architecture (JSON-able)."""
        return {"model": "SequenceClassifier", **self._config}

    @classmethod
    def from_config(cls, config: dict[str, Any], generator: Any = None) -> SequenceClassifier:
        """A fresh model of the architecture `config` describes (embeddings come from weights)."""
        options = {key: value for key, value in config.items()
                   if key not in ("model", "embeddings_frozen")}
        model = cls(**options, generator=generator)
        frozen = bool(config.get("embeddings_frozen", False))
        model.embedding.weight.requires_grad = not frozen
        model._config["embeddings_frozen"] = frozen
        return model

    def forward(self, tokens: Any, lengths: Any = None) -> Tensor:
        """Class logits (N, num_classes) for token ids (N, T) with optional lengths (N,)."""
        ids = np.asarray(tokens.data if isinstance(tokens, Tensor) else tokens)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"tokens must be (N, T) integer ids, got {ids.shape} {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got min "
                             f"{ids.min()} max {ids.max()}")
        batch, steps = ids.shape
        if lengths is not None:
            lengths = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
        output, hidden = self.rnn(self.embedding(ids.astype(np.int64)), None, lengths=lengths)
        h_n = hidden[0] if isinstance(hidden, tuple) else hidden
        limits = lengths if lengths is not None else np.full(batch, steps)
        valid = np.arange(steps)[None, :] < np.asarray(limits)[:, None]
        pooled = self._pool(output, h_n, valid, lengths)
        return self.classifier(self.drop(pooled))

    def _pool(self, output: Tensor, h_n: Tensor, valid: np.ndarray,
              lengths: np.ndarray | None) -> Tensor:
        if self.pooling == "last":
            # h_n is taken at each sequence's last valid step (the reverse direction's at step 0)
            if self.rnn.bidirectional:
                return cat([h_n[-2], h_n[-1]], dim=1)
            return h_n[-1]
        mask = valid[:, :, None]
        if self.pooling == "mean":
            counts = valid.sum(axis=1, keepdims=True).astype(output.dtype)
            return (output * mask.astype(output.dtype)).sum(1) / counts
        return output.masked_fill(~mask, -np.inf).max(1).values

    def set_embedding_rows(self, rows: Any, vectors: Any, freeze: bool = False) -> None:
        """Copy `vectors` (K, embedding_dim) into embedding rows `rows` (K,) (pretrained word
        vectors for the words a vocabulary shares with them); `freeze` stops their training."""
        rows = np.asarray(rows, dtype=np.int64)
        vectors = np.asarray(vectors)
        weight = self.embedding.weight
        if vectors.shape != (rows.size, weight.shape[1]):
            raise ValueError(f"vectors must be ({rows.size}, {weight.shape[1]}), got "
                             f"{vectors.shape}")
        weight.data[rows] = vectors.astype(weight.dtype)
        weight.requires_grad = not freeze
        self._config["embeddings_frozen"] = bool(freeze)

    def probabilities(self, tokens: Any, lengths: Any = None) -> np.ndarray:
        """Class probabilities (N, num_classes), in eval mode without a graph."""
        from seqlab.autograd import no_grad

        was_training = self.training
        self.eval()
        with no_grad():
            logits = self.forward(tokens, lengths).data.astype(np.float64)
        self.train(was_training)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, tokens: Any, lengths: Any = None) -> np.ndarray:
        """Most likely class per sequence (N,), in eval mode without a graph."""
        from seqlab.autograd import no_grad

        was_training = self.training
        self.eval()
        with no_grad():
            logits = self.forward(tokens, lengths)
        self.train(was_training)
        return logits.data.argmax(axis=1)

    # ------------------------------------------------------------------ Trainer protocol
    def training_loss(self, batch: tuple[np.ndarray, np.ndarray, np.ndarray],
                      carry: Any = None) -> tuple[Tensor, int, None]:
        """Mean (class-weighted) cross-entropy of a batch, its example count, no carry."""
        from seqlab.autograd.nn.functional import cross_entropy

        tokens, lengths, labels = _trimmed(batch)
        logits = self.forward(tokens, lengths)
        weight = None if self.class_weights is None else \
            np.asarray(self.class_weights, dtype=logits.dtype)
        loss = cross_entropy(logits, np.asarray(labels, dtype=np.int64), weight=weight)
        return loss, len(labels), None

    def evaluation_metrics(self, batches: Any) -> dict[str, float]:
        """Mean cross-entropy (unweighted), accuracy and macro-F1 over `batches`."""
        from seqlab.autograd.nn.functional import cross_entropy

        total, predictions, truth = 0.0, [], []
        for batch in batches:
            tokens, lengths, labels = _trimmed(batch)
            logits = self.forward(tokens, lengths)
            labels = np.asarray(labels, dtype=np.int64)
            total += float(cross_entropy(logits, labels, reduction="sum").item())
            predictions.append(logits.data.argmax(axis=1))
            truth.append(labels)
        if not truth:
            raise ValueError("no examples to evaluate")
        predicted, actual = np.concatenate(predictions), np.concatenate(truth)
        return {"loss": total / actual.size, "accuracy": float(np.mean(predicted == actual)),
                "macro_f1": macro_f1(actual, predicted, self._config["num_classes"]),
                "examples": int(actual.size)}

    def extra_repr(self) -> str:
        return config_repr(self._config)


def _trimmed(batch: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A padded batch cut to its longest sequence (padding past it is pure cost). An example of
    length 0 is refused, as `forward` and PyTorch's pack_padded_sequence refuse it (it was
    once trained and scored as one <pad> step)."""
    tokens, lengths, labels = batch
    lengths = np.asarray(lengths, dtype=np.int64)
    empty = np.flatnonzero(lengths < 1)
    if empty.size:
        raise ValueError(f"example {int(empty[0])} has length {int(lengths[empty[0]])}: a "
                         "classifier needs at least one token per example")
    longest = max(int(lengths.max(initial=1)), 1)
    return np.asarray(tokens)[:, :longest], lengths, labels


def macro_f1(actual: np.ndarray, predicted: np.ndarray, num_classes: int) -> float:
    """Unweighted mean of per-class F1 over the classes present in `actual` or `predicted`."""
    scores = []
    for label in range(num_classes):
        true_positive = np.sum((predicted == label) & (actual == label))
        guessed, real = np.sum(predicted == label), np.sum(actual == label)
        if guessed == 0 and real == 0:
            continue
        scores.append(2 * true_positive / (guessed + real))
    return float(np.mean(scores)) if scores else 0.0
