"""Text in, text out: a Seq2Seq with its two tokenizers, and the checkpoint that holds them.

The tokenizers are any objects with `encode(text) -> ids`, `decode(ids) -> text`, `unk_id` and
`to_dict()` (seqlab.nlp's tokenizers); the checkpoint header keeps both as
`{"source": ..., "target": ...}` beside the model config, so one file translates.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.seqmodels.checkpoint import Checkpoint, load_model, save_checkpoint
from seqlab.seqmodels.seq2seq.batch import pad_rows
from seqlab.seqmodels.seq2seq.decoding import beam_search, greedy_decode
from seqlab.seqmodels.seq2seq.model import Seq2Seq


def save_seq2seq(path: str | os.PathLike[str], model: Seq2Seq, source_tokenizer: Any,
                 target_tokenizer: Any, **options: Any) -> Path:
    """A checkpoint of the model with both tokenizers in its header."""
    return save_checkpoint(path, model, tokenizer=tokenizer_header(source_tokenizer,
                                                                   target_tokenizer), **options)


def tokenizer_header(source_tokenizer: Any, target_tokenizer: Any,
                     task: str | None = None) -> dict[str, Any]:
    """The JSON both tokenizers are kept as in a Seq2Seq checkpoint (with the name of the
    embedded data set it was trained on, if any)."""
    header = {"source": source_tokenizer.to_dict(), "target": target_tokenizer.to_dict()}
    if task is not None:
        header["task"] = task
    return header


# The model classes a checkpoint may record, in words (messages reach command-line users).
_KIND_WORDS = {"LanguageModel": "a language model", "SequenceClassifier": "a classifier",
               "SequenceRegressor": "a forecaster",
               "Seq2Seq": "a sequence-to-sequence model without its tokenizers"}


def load_seq2seq(path: str | os.PathLike[str]) -> tuple[Seq2Seq, dict[str, Any], Checkpoint]:
    """(model, {"source": tokenizer dict, "target": tokenizer dict}, checkpoint).

    A checkpoint of another kind of model is a ValueError saying what it holds.
    """
    from seqlab.seqmodels.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(path, training=False)
    kind = checkpoint.config.get("model")
    tokenizers = checkpoint.tokenizer or {}
    if kind != "Seq2Seq" or not {"source", "target"} <= set(tokenizers):
        what = _KIND_WORDS.get(kind, f"a {kind} model" if kind else "a model of no recorded kind")
        raise ValueError(f"{path} holds {what}, not a sequence-to-sequence one; give a model "
                         "written by `seqlab seq2seq train`")
    model, checkpoint = load_model(path)
    model.eval()
    return model, tokenizers, checkpoint


@dataclass
class Translation:
    """One output for one input: text, tokens, log-probability, normalised score, attention."""

    text: str
    tokens: list[int]
    logprob: float
    score: float
    attention: np.ndarray | None = None


@dataclass
class Translator:
    """Decodes text with a Seq2Seq and its tokenizers (greedy when beam == 1 and nbest == 1)."""

    model: Seq2Seq
    source_tokenizer: Any
    target_tokenizer: Any
    beam: int = 1
    nbest: int = 1
    length_penalty: float = 1.0
    max_len_a: float = 2.0
    max_len_b: int = 10
    unknown_tokens: int = 0  # source tokens mapped to <unk> so far

    def encode(self, text: str) -> np.ndarray:
        """Source ids of one line (at least one token)."""
        ids = np.asarray(self.source_tokenizer.encode(text), dtype=np.int64)
        if ids.size == 0:
            ids = np.asarray([self.source_tokenizer.unk_id])
        self.unknown_tokens += int(np.count_nonzero(ids == self.source_tokenizer.unk_id))
        return ids

    def unknown_in(self, text: str) -> int:
        """How many of one line's source tokens are <unk> (not counted in `unknown_tokens`)."""
        ids = self.source_tokenizer.encode(text)
        return sum(1 for token in ids if token == self.source_tokenizer.unk_id)

    def translate(self, lines: Sequence[str],
                  attention: bool = False) -> list[list[Translation]]:
        """Up to `nbest` translations of every line, best first (a blank line: one empty)."""
        kept = [index for index, line in enumerate(lines) if line.strip()]
        results: list[list[Translation]] = [[Translation("", [], 0.0, 0.0)] for _ in lines]
        if kept:
            for index, found in zip(kept, self._decode([lines[i] for i in kept], attention)):
                results[index] = found
        return results

    def _decode(self, lines: Sequence[str], attention: bool) -> list[list[Translation]]:
        source, lengths = pad_rows([self.encode(line) for line in lines],
                                   self.model.pad_id)
        options = {"max_len_a": self.max_len_a, "max_len_b": self.max_len_b,
                   "attention": attention}
        if self.beam == 1 and self.nbest == 1:
            decoded = greedy_decode(self.model, source, lengths,
                                    length_penalty=self.length_penalty, **options)
        else:
            decoded = beam_search(self.model, source, lengths, width=self.beam,
                                  nbest=self.nbest, length_penalty=self.length_penalty,
                                  **options)
        return [[Translation(self.target_tokenizer.decode(h.tokens), h.tokens, h.logprob,
                             h.score, h.attention) for h in found]
                for found in decoded.hypotheses]

    def stream(self, lines: Iterable[str], batch_size: int = 32,
               attention: bool = False) -> Iterator[tuple[str, list[Translation]]]:
        """(line, translations) for every line, in order, decoding `batch_size` at a time."""
        pending: list[str] = []
        for line in lines:
            pending.append(line)
            if len(pending) == batch_size:
                yield from zip(pending, self.translate(pending, attention))
                pending = []
        yield from zip(pending, self.translate(pending, attention))
