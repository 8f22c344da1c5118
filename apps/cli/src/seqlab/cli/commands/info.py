"""`seqlab info`: what a file seqlab writes holds (any checkpoint, an n-gram model, a
tokenizer, word2vec vectors)."""

from __future__ import annotations

from pathlib import Path

import typer

from seqlab.cli import file_info, file_kinds
from seqlab.cli.console import Output, stdout
from seqlab.cli.errors import CliError, require_file
from seqlab.cli.lm_text import bits_name
from seqlab.cli.loss_display import loss_text
from seqlab.cli.tokenizer_file import hf_tokenizer_refusal


def info(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Architecture, parameter count, vocabulary and training history of a model; the
    size and settings of a tokenizer or a word2vec vectors file.

    Example: seqlab info model.safetensors
    """
    # imported here: the models pull in Numba and the kernels, which other commands may not need
    from seqlab.cli.models import load_any
    from seqlab.seqmodels.checkpoint import training_path

    require_file(model_path, "model file")
    file_kind = file_kinds.kind_of(model_path)
    if file_kind == file_kinds.TOKENIZER:
        file_info.show(file_info.tokenizer_info(model_path), as_json)
        return
    refusal = hf_tokenizer_refusal(model_path, file_kind)
    if refusal is not None:
        raise refusal
    if file_kind == file_kinds.TRAINING_STATE:
        file_info.show(file_info.training_state_info(model_path), as_json)
        return
    if file_kind in file_info.VECTOR_KINDS:
        file_info.show(file_info.vectors_info(model_path, file_kind), as_json)
        return
    if file_kind in (None, file_kinds.METRICS, file_kinds.HTML_PAGE) and \
            model_path.suffix not in (".safetensors", ".arpa", ".npz"):
        what = "a file" if file_kind is None else f"a {file_kind}"
        raise CliError(f"{model_path} is {what} that seqlab info does not read; "
                       f"{file_info.READS}")
    kind, loaded = load_any(model_path, any_head=True)
    if kind == "ngram":
        file_info.show(file_info.ngram_info(loaded), as_json)
        return
    checkpoint, tokenizer = loaded.checkpoint, loaded.tokenizer
    history = [m for m in checkpoint.metrics if isinstance(m, dict) and "loss" in m]
    data = {"kind": "neural", "model": checkpoint.config.get("model"),
            "config": checkpoint.config,
            "parameters": loaded.model.num_parameters(), "step": checkpoint.step,
            "tokenizer": tokenizer.to_dict().get("type") if tokenizer else None,
            "vocab_size": tokenizer.vocab_size if tokenizer else None,
            "metadata": checkpoint.metadata,
            "validation": history[-1] if history else None,
            "best_validation_loss": min((m["loss"] for m in history), default=None),
            "resumable": training_path(model_path).exists()}
    if as_json:
        Output(as_json=True).result(data)
        return
    from rich.table import Table  # when drawn: ~1.3 MB with decimal

    table = Table(show_header=False, box=None)
    for key, value in checkpoint.config.items():
        table.add_row(key, str(value))
    table.add_row("parameters", f"{data['parameters']:,}")
    if tokenizer is not None:
        table.add_row("tokenizer", f"{data['tokenizer']} ({tokenizer.vocab_size} tokens)")
    for key in ("labels", "target", "features", "window", "horizon"):
        if key in (checkpoint.metadata or {}):
            table.add_row(key, str(checkpoint.metadata[key]))
    table.add_row("trained steps", str(checkpoint.step))
    table.add_row("resumable", "yes (training state beside it)" if data["resumable"] else "no")
    if history:
        last = history[-1]
        extra = (f", {loss_text(last['bits_per_token'])} {bits_name(data['tokenizer'])}"
                 if "bits_per_token" in last else
                 f", accuracy {last['accuracy']:.4f}" if "accuracy" in last else "")
        table.add_row("last validation", f"{loss_text(last['loss'])} loss{extra} at step "
                      f"{last.get('step')}")
        table.add_row("validation curve", " ".join(loss_text(m["loss"]) for m in history[-8:]))
    stdout.print(table)
