"""Loading any model file the CLI accepts: a neural checkpoint or an n-gram model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.cli import file_kinds
from seqlab.cli.errors import CliError, require_file


@dataclass
class NeuralModel:
    model: Any
    tokenizer: Any
    checkpoint: Any


def is_checkpoint(path: Path) -> bool:
    """A safetensors file starts with an 8-byte header length and then '{'."""
    with path.open("rb") as file:
        head = file.read(9)
    return len(head) == 9 and head[8:9] == b"{"


HEAD_COMMANDS = {"SequenceClassifier": ("a classifier", "seqlab classify predict|eval"),
                 "SequenceRegressor": ("a forecaster", "seqlab forecast predict|eval"),
                 "Seq2Seq": ("a sequence-to-sequence model", "seqlab seq2seq translate|eval")}


def refuse_other_kind(path: Path) -> None:
    """A CliError naming the file's kind when `path` holds a file seqlab writes that is not a
    neural checkpoint (an n-gram model, a tokenizer, word2vec vectors, a metrics log): one
    message for that mistake in every command that reads a checkpoint."""
    if str(path) == "-":  # stdin: read as a checkpoint, and told so if it is not one
        return
    kind = file_kinds.kind_of(path)
    for kinds, form, readers in WRONG_KINDS:
        if kind in kinds:
            raise CliError(f"{path} is {form}, not a neural model checkpoint; {readers}")


NGRAM_READERS = "n-gram models work with seqlab ngram eval|generate and seqlab eval"
# (file_kinds kinds, what the message calls them, what reads them)
WRONG_KINDS = (
    ((file_kinds.ARPA, file_kinds.FOREIGN_ARPA), "an ARPA n-gram model", NGRAM_READERS),
    ((file_kinds.NGRAM_NPZ,), "a seqlab n-gram model (.npz)", NGRAM_READERS),
    ((file_kinds.TOKENIZER,), "a seqlab tokenizer",
     "tokenizers work with seqlab tokenize encode|decode, and train --tokenizer"),
    ((file_kinds.HF_TOKENIZER,), "a Hugging Face tokenizer.json (`seqlab tokenize export` "
     "wrote it)", "the Hugging Face tokenizers library reads it; seqlab reads the seqlab "
     "tokenizer JSON or model it was exported from (export is one-way)"),
    ((file_kinds.WORD2VEC, file_kinds.FOREIGN_WORD2VEC, file_kinds.WORD2VEC_SAVED),
     "a word2vec vectors file", "vectors work with seqlab word2vec similar|analogy|evaluate, "
     "and classify train --vectors"),
    ((file_kinds.METRICS,), "a training run's metrics log",
     "the model it logged is the .safetensors file of the same name"),
)


def load_neural(path: Path, any_head: bool = False) -> NeuralModel:
    """Model, tokenizer and checkpoint from a seqlab checkpoint, or a one-line CliError.

    Language models only, unless `any_head` (then the tokenizer may be None: a forecaster).
    """
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels.checkpoint import load_model

    require_file(path, "model file")
    refuse_other_kind(path)
    try:
        model, checkpoint = load_model(path)
    except (ValueError, KeyError, OSError) as error:
        raise CliError(f"{str(error).splitlines()[0]}") from error
    head = checkpoint.config.get("model")
    if head in HEAD_COMMANDS and not any_head:
        what, command = HEAD_COMMANDS[head]
        raise CliError(f"{path} is {what}, not a language model; use {command}")
    if any_head and head in HEAD_COMMANDS and (not checkpoint.tokenizer or head == "Seq2Seq"):
        # a forecaster has no tokenizer; a seq2seq model has two (seqlab.seqmodels.seq2seq)
        return NeuralModel(model.eval(), None, checkpoint)
    if not checkpoint.tokenizer:
        raise CliError(f"{path} holds no tokenizer: it was not written by `seqlab train`")
    try:
        tokenizer = Tokenizer.from_dict(checkpoint.tokenizer)
    except (ValueError, KeyError) as error:
        raise CliError(f"{path}: its tokenizer is unreadable ({error})") from error
    model.eval()
    return NeuralModel(model, tokenizer, checkpoint)


def load_any(path: Path, any_head: bool = False) -> tuple[str, Any]:
    """('neural', NeuralModel) or ('ngram', n-gram model)."""
    require_file(path, "model file")
    if path.suffix == ".safetensors" or is_checkpoint(path):
        return "neural", load_neural(path, any_head)
    from seqlab.cli.commands.ngram import load_ngram
    from seqlab.cli.file_kinds import CHECKPOINT_WRITERS, is_arpa, is_ngram_npz

    if path.suffix != ".arpa" and not is_arpa(path) and not is_ngram_npz(path):
        refuse_other_kind(path)  # a tokenizer, vectors, a metrics log: named as such
        trainers = CHECKPOINT_WRITERS if any_head else "`seqlab train`"
        raise CliError(f"{path} is not a model seqlab reads: give a checkpoint written by "
                       f"{trainers} or an n-gram model (.arpa or .npz) written by "
                       "`seqlab ngram train`")
    return "ngram", load_ngram(path)
