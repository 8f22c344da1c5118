"""`SequenceClassifier`: many-to-one classification of variable-length token sequences."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator, cat
from seqlab.autograd.nn import Dropout, Embedding, Linear, Module
from seqlab.seqmodels.language_model import CELLS, build_stack

POOLINGS = ("last", "mean", "max")


class SequenceClassifier(Module):
    """Embedding -> (bi)RNN/LSTM/GRU -> pooling over valid steps -> dropout -> Linear.

    `forward(tokens (N, T), lengths (N,) | None)` -> logits (N, num_classes). Steps at or after a
    sequence's length are padding: they change no state and no pooled value.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, num_classes: int,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = False,
                 pooling: str = "last", dropout: float = 0.0,
                 pretrained_embeddings: Any = None, freeze_embeddings: bool = True,
                 padding_idx: int | None = 0, dtype: Any = np.float32,
                 generator: Any = None) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
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

    def predict(self, tokens: Any, lengths: Any = None) -> np.ndarray:
        """Most likely class per sequence (N,), in eval mode without a graph."""
        from seqlab.autograd import no_grad

        was_training = self.training
        self.eval()
        with no_grad():
            logits = self.forward(tokens, lengths)
        self.train(was_training)
        return logits.data.argmax(axis=1)

    def extra_repr(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self._config.items())
