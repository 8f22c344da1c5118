"""What `seqlab info` shows of the files that are not neural checkpoints: n-gram models,
tokenizers and word2vec vectors, as JSON data and as a two-column table of plain values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.cli import file_kinds
from seqlab.cli.console import Output, stdout
from seqlab.cli.errors import CliError
from seqlab.cli.tokenizer_file import read_tokenizer_file

VECTOR_KINDS = (file_kinds.WORD2VEC, file_kinds.FOREIGN_WORD2VEC, file_kinds.WORD2VEC_SAVED)
READS = (f"give a checkpoint written by {file_kinds.CHECKPOINT_WRITERS}, an n-gram model "
         "(.arpa or .npz), a seqlab tokenizer JSON or word2vec vectors")


def ngram_info(model: Any) -> dict[str, Any]:
    """An n-gram model's class, order, the file's vocabulary size and n-gram counts (an ARPA
    file without <unk> gets one when read, as KenLM adds it: not counted here, but named), and
    its tokenization: the recorded one, else how eval reads its text (`recorded` no)."""
    from seqlab.cli.commands.ngram import unrecorded_level
    from seqlab.nlp.ngram.arpa_reader import MISSING_UNK_LOG10

    counts = list(model.counts)
    unk_added = not getattr(model, "unk_listed", True)
    if unk_added:
        counts[0] -= 1
    info = {"kind": "ngram", "class": type(model).__name__, "order": model.order,
            "vocab_size": model.vocab_size - unk_added, "ngram_counts": counts}
    if unk_added:
        info["unk"] = ("not in the file: <unk> is added when it is read, with log10 "
                       f"probability {MISSING_UNK_LOG10:g}, as KenLM adds it")
    info["tokenization"] = model.tokenization or {"level": unrecorded_level(model),
                                                  "recorded": False}
    return info


def tokenizer_info(path: Path) -> dict[str, Any]:
    """A tokenizer file's type, size and settings (or a vocabulary file's size)."""
    from seqlab.nlp.vocab import Vocabulary

    try:
        if file_kinds.tokenizer_type(path) == "vocabulary":
            return {"kind": "vocabulary", "size": len(Vocabulary.load(path))}
        tokenizer = read_tokenizer_file(path)
    except (ValueError, OSError, CliError) as error:
        raise CliError(f"cannot read {path}: {error}") from error
    return {"kind": "tokenizer", "type": tokenizer.type_name, **tokenizer.summary()}


def vectors_info(path: Path, kind: str) -> dict[str, Any]:
    """A vectors file's format, word count and dimension (a word2vec-format file from its
    header only; a seqlab `.save` file is loaded)."""
    if kind == file_kinds.WORD2VEC_SAVED:
        from seqlab.cli.commands.word2vec import load_vectors

        vectors = load_vectors(path)
        return {"kind": "word2vec vectors", "format": "seqlab safetensors (.save)",
                "words": len(vectors), "dimension": vectors.vector_size,
                "written_by_seqlab": True}
    from seqlab.nlp.word2vec.formats import read_word2vec_header

    try:
        header = read_word2vec_header(path)
    except (ValueError, OSError) as error:
        raise CliError(f"cannot read {path}: {error}") from error
    form = "binary" if header.binary else "text" if header.has_header else \
        "GloVe text (no header)"
    return {"kind": "word2vec vectors", "format": form,
            "words": header.count, "dimension": header.dimension,
            "written_by_seqlab": header.written_by_seqlab}


def training_state_info(path: Path) -> dict[str, Any]:
    """The training state seqlab writes beside a model (`NAME.train.safetensors`): its step,
    the command that started the run, and the model it resumes (`model_matches`: whether that
    model is there with the same run token; None when it is not there)."""
    metadata = file_kinds.seqlab_metadata(path) or {}
    trainer, run = metadata.get("trainer") or {}, metadata.get("run") or {}
    name = path.name
    suffix = ".train.safetensors"
    model = path.with_name(name[:-len(suffix)] + ".safetensors") if name.endswith(suffix) \
        else None
    model_metadata = file_kinds.seqlab_metadata(model) if model is not None and \
        model.is_file() else None
    matches = None if model_metadata is None else \
        model_metadata.get("run_token") == metadata.get("run_token")
    return {"kind": "training state", "step": trainer.get("step"),
            "command": run.get("command"), "run_token": metadata.get("run_token"),
            "model": None if model is None else str(model), "model_matches": matches,
            "resume": f"seqlab {run.get('command') or 'train'} --resume "
                      f"{model or 'MODEL'} (the model, not this file)"}


def show(data: dict[str, Any], as_json: bool) -> None:
    """`data` as one JSON object, or as a table of plain values (no Python reprs)."""
    if as_json:
        Output(as_json=True).result(data)
        return
    from rich.table import Table  # when drawn: ~1.3 MB with decimal

    table = Table(show_header=False, box=None)
    for key, value in data.items():
        table.add_row(key.replace("_", " "), _plain(value))
    stdout.print(table)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_plain(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return " ".join(map(_plain, value))
    return f"{value:,}" if isinstance(value, int) else str(value)
